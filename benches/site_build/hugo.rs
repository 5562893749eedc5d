//! The Hugo side: a site directory with the generated content, a config
//! that makes Hugo publish the same kinds of pages as pressrun's default
//! theme, and the templates in `benches/hugo-theme`.

use std::fs;
use std::path::Path;

use anyhow::Context;

use crate::common::content::{self, Entry};

/// The site config. `disableKinds` and `outputs` leave out what pressrun
/// does not publish: RSS feeds, the sitemap, robots.txt, the 404 page and
/// the taxonomy list pages (`/categories/`, `/months/`). The home page's
/// Atom feed is a custom output format. The `months` taxonomy gives Hugo
/// one archive page per month.
const CONFIG: &str = r#"baseURL = "http://localhost/"
title = "Bench Site"
languageCode = "en"
timeZone = "UTC"
theme = "hugo-theme"
themesDir = "{themes_dir}"
paginate = 10
disableHugoGeneratorInject = true
disableKinds = ["taxonomy", "RSS", "sitemap", "robotsTXT", "404"]
# "taxonomy" is the list page of a taxonomy, such as /categories/. Hugo
# reports disabling it as an error because version 0.73 changed its meaning.
ignoreErrors = ["error-disable-taxonomy"]

[taxonomies]
category = "categories"
month = "months"

# Entry pages at 2019/05/entry_12.html and category archives at
# field-notes/index.html, as in pressrun; months stay at months/2019-05/.
[permalinks]
posts = "/:year/:month/:slug"
categories = "/:slug/"

[uglyURLs]
posts = true

[mediaTypes."application/atom+xml"]
suffixes = ["xml"]

[outputFormats.Atom]
mediaType = "application/atom+xml"
baseName = "atom"
rel = "alternate"

[outputs]
home = ["HTML", "Atom"]
section = ["HTML"]
page = ["HTML"]
term = ["HTML"]
"#;

/// The posts section page, published as `archives.html` like pressrun's
/// archive index.
const SECTION_PAGE: &str = "+++\ntitle = \"Archives\"\nurl = \"/archives.html\"\n+++\n";

/// Writes a Hugo site for `entries` into `site`: config, content and the
/// same style sheet that pressrun's default theme publishes.
pub fn write_site(entries: &[Entry], site: &Path) -> anyhow::Result<()> {
    let themes_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches");
    let config = CONFIG.replace("{themes_dir}", &themes_dir.display().to_string());
    fs::create_dir_all(site.join("static")).with_context(|| format!("cannot create {}", site.display()))?;
    fs::write(site.join("hugo.toml"), config).context("cannot write hugo.toml")?;

    content::write_hugo_content(entries, site)?;
    fs::write(site.join("content/posts/_index.md"), SECTION_PAGE).context("cannot write the section page")?;

    let styles = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render/theme/styles.css");
    fs::copy(&styles, site.join("static/styles.css")).with_context(|| format!("cannot copy {}", styles.display()))?;
    Ok(())
}
