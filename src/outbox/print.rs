//! Letters held to print and post, printed together: their PDFs, exactly as rendered,
//! joined into one document in the order given (the desk's "print all held letters").

use lopdf::{Document, Object, ObjectId};

/// One PDF of every page of `pdfs`, in order; None when there is none or one cannot
/// be read.
pub fn join_pdfs(pdfs: &[Vec<u8>]) -> Option<Vec<u8>> {
    if pdfs.is_empty() {
        return None;
    }
    let mut out = Document::with_version("1.5");
    let mut next_id = 1;
    let mut kids: Vec<ObjectId> = Vec::new();
    let mut pages_id: Option<ObjectId> = None;
    let mut catalog_id: Option<ObjectId> = None;
    for bytes in pdfs {
        let mut doc = Document::load_mem(bytes).ok()?;
        doc.renumber_objects_with(next_id);
        next_id = doc.max_id + 1;
        // What a page may inherit from its parent, kept on the page itself.
        let inherited = |doc: &Document, page: &lopdf::Dictionary, key: &[u8]| -> Option<Object> {
            let parent = page.get(b"Parent").ok()?.as_reference().ok()?;
            doc.get_dictionary(parent).ok()?.get(key).ok().cloned()
        };
        let mut pages = Vec::new();
        for (_, id) in doc.get_pages() {
            let mut page = doc.get_dictionary(id).ok()?.clone();
            for key in [&b"MediaBox"[..], b"Resources", b"CropBox", b"Rotate"] {
                if !page.has(key) {
                    if let Some(v) = inherited(&doc, &page, key) {
                        page.set(key, v);
                    }
                }
            }
            pages.push((id, page));
        }
        for (id, object) in doc.objects {
            match object.type_name().unwrap_or(b"") {
                b"Catalog" => {
                    catalog_id.get_or_insert(id);
                }
                b"Pages" => {
                    pages_id.get_or_insert(id);
                }
                b"Page" | b"Outlines" | b"Outline" => {}
                _ => {
                    out.objects.insert(id, object);
                }
            }
        }
        for (id, mut page) in pages {
            page.remove(b"Parent");
            out.objects.insert(id, Object::Dictionary(page));
            kids.push(id);
        }
    }
    let (pages_id, catalog_id) = (pages_id?, catalog_id?);
    for id in &kids {
        if let Ok(Object::Dictionary(d)) = out.objects.get_mut(id).ok_or(()) {
            d.set("Parent", pages_id);
        }
    }
    out.objects.insert(
        pages_id,
        Object::Dictionary({
            let mut d = lopdf::Dictionary::new();
            d.set("Type", Object::Name(b"Pages".to_vec()));
            d.set("Count", kids.len() as i64);
            d.set(
                "Kids",
                kids.iter()
                    .map(|k| Object::Reference(*k))
                    .collect::<Vec<_>>(),
            );
            d
        }),
    );
    out.objects.insert(
        catalog_id,
        Object::Dictionary({
            let mut d = lopdf::Dictionary::new();
            d.set("Type", Object::Name(b"Catalog".to_vec()));
            d.set("Pages", pages_id);
            d
        }),
    );
    out.trailer.set("Root", catalog_id);
    out.max_id = next_id;
    out.renumber_objects();
    out.compress();
    let mut buf = Vec::new();
    out.save_to(&mut buf).ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(body: &str) -> Vec<u8> {
        let policy = crate::policy::Policy::load("lgsco-code").unwrap();
        let kind = crate::letter::Kind::Acknowledgement;
        let ctx = crate::letter::sample::contexts(&policy, &crate::letter::sample::council(), kind)
            .into_iter()
            .next()
            .unwrap();
        crate::letter::pdf::letter_pdf(&ctx, "Your complaint", body).unwrap()
    }

    #[test]
    fn every_page_of_every_letter_in_order() {
        let one = letter("Short.");
        let long = letter(&"A long paragraph about the potholes. ".repeat(400));
        let pages = |b: &[u8]| Document::load_mem(b).unwrap().get_pages().len();
        let (a, b) = (pages(&one), pages(&long));
        assert!(b > 1, "the long letter runs over a page");
        let joined = join_pdfs(&[one.clone(), long, one]).unwrap();
        assert!(joined.starts_with(b"%PDF"));
        let doc = Document::load_mem(&joined).unwrap();
        assert_eq!(doc.get_pages().len(), a + b + a);
        // Each page keeps its size.
        for (_, id) in doc.get_pages() {
            let page = doc.get_dictionary(id).unwrap();
            assert!(
                page.has(b"MediaBox") || {
                    let parent = page.get(b"Parent").unwrap().as_reference().unwrap();
                    doc.get_dictionary(parent).unwrap().has(b"MediaBox")
                }
            );
        }
        assert!(join_pdfs(&[]).is_none());
        assert!(join_pdfs(&[b"not a pdf".to_vec()]).is_none());
    }
}
