//! Who the council is, as its letters say it: its name, address, contact details,
//! signatory and letterhead logo. Read by the config (`[council]`) and by letters; it
//! needs neither, so neither imports the other through it.

use serde::Deserialize;
use std::path::PathBuf;

pub mod logo;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Council {
    pub name: String,
    #[serde(default)]
    pub address: Vec<String>,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub web: String,
    /// The complaints inbox address: letters come from it, and mail from it is never answered.
    pub email: String,
    #[serde(default = "default_signatory")]
    pub signatory: String,
    /// Case reference prefix; defaults to the preset's.
    pub reference_prefix: Option<String>,
    /// A PNG logo for the head of letters (at most 2 MB and 2000 pixels each way).
    pub logo: Option<PathBuf>,
    /// The logo, decoded when the config is read.
    #[serde(skip)]
    pub logo_image: Option<std::sync::Arc<logo::Logo>>,
}

fn default_signatory() -> String {
    "Complaints Team".into()
}
