//! The council's logo on its letters: a PNG named by `[council] logo`, decoded once when
//! the config is read (so a bad file is a one-line config error, not a failed letter)
//! and drawn at the head of the first page.

use std::path::Path;

/// The largest logo accepted, in pixels each way and bytes on disk: a letterhead needs
/// a few hundred pixels, and every letter carries a copy.
pub const MAX_SIDE: u32 = 2000;
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;

/// A decoded logo: 8-bit RGB or RGBA pixels, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub width: usize,
    pub height: usize,
    pub alpha: bool,
    pub pixels: Vec<u8>,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({}x{})", self.width, self.height)
    }
}

impl Logo {
    /// Read and decode a PNG file; the error says what is wrong with it.
    pub fn load(path: &Path) -> Result<Logo, String> {
        let size = std::fs::metadata(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .len();
        if size > MAX_BYTES {
            return Err(format!(
                "{} is {size} bytes; a logo must be at most {MAX_BYTES} bytes",
                path.display()
            ));
        }
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Logo::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Decode PNG bytes to 8-bit RGB(A).
    pub fn decode(bytes: &[u8]) -> Result<Logo, String> {
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = dec
            .read_info()
            .map_err(|e| format!("not a PNG image ({e})"))?;
        let info = reader.info();
        let (w, h) = (info.width, info.height);
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(format!(
                "the logo is {w}x{h} pixels; it must be at most {MAX_SIDE} each way"
            ));
        }
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader
            .next_frame(&mut buf)
            .map_err(|e| format!("cannot decode the PNG image ({e})"))?;
        buf.truncate(frame.buffer_size());
        let (alpha, pixels) = match frame.color_type {
            png::ColorType::Rgb => (false, buf),
            png::ColorType::Rgba => (true, buf),
            png::ColorType::Grayscale => (false, buf.iter().flat_map(|&g| [g, g, g]).collect()),
            png::ColorType::GrayscaleAlpha => (
                true,
                buf.chunks_exact(2)
                    .flat_map(|ga| [ga[0], ga[0], ga[0], ga[1]])
                    .collect(),
            ),
            png::ColorType::Indexed => {
                return Err("a palette PNG the decoder could not expand".into())
            }
        };
        Ok(Logo {
            width: w as usize,
            height: h as usize,
            alpha,
            pixels,
        })
    }

    /// Its size on the page in mm, within `max_w` x `max_h`, keeping its proportions.
    pub fn fit(&self, max_w: f32, max_h: f32) -> (f32, f32) {
        let ratio = self.width as f32 / self.height as f32;
        if max_w / ratio <= max_h {
            (max_w, max_w / ratio)
        } else {
            (max_h * ratio, max_h)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, color: png::ColorType, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, w, h);
        e.set_color(color);
        e.set_depth(png::BitDepth::Eight);
        let mut wr = e.write_header().unwrap();
        wr.write_image_data(data).unwrap();
        wr.finish().unwrap();
        out
    }

    #[test]
    fn a_png_decodes_to_rgb_and_bad_files_say_why() {
        let l = Logo::decode(&png(2, 1, png::ColorType::Grayscale, &[0, 255])).unwrap();
        assert_eq!((l.width, l.height, l.alpha), (2, 1, false));
        assert_eq!(l.pixels, [0, 0, 0, 255, 255, 255]);
        let l = Logo::decode(&png(1, 1, png::ColorType::Rgba, &[1, 2, 3, 4])).unwrap();
        assert_eq!((l.alpha, l.pixels.as_slice()), (true, &[1, 2, 3, 4][..]));
        let err = Logo::decode(b"GIF89a...").unwrap_err();
        assert!(err.starts_with("not a PNG image"), "{err}");
        // A wide logo fits the width; a tall one the height.
        let wide = Logo::decode(&png(4, 1, png::ColorType::Grayscale, &[0; 4])).unwrap();
        assert_eq!(wide.fit(40.0, 20.0), (40.0, 10.0));
        let tall = Logo::decode(&png(1, 4, png::ColorType::Grayscale, &[0; 4])).unwrap();
        assert_eq!(tall.fit(40.0, 20.0), (5.0, 20.0));
    }
}
