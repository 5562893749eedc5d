//! The files Movable Type's rebuild rule would republish for the same
//! changes, counted from the generated entries and the site's templates.
//!
//! The rule counted:
//!
//! - **Entry save**: the entry's own page, the pages of its previous and
//!   next entry, every index template, the entry's monthly archive with the
//!   monthly archives before and after it, and the archive of each of its
//!   categories. This is what `rebuild_entry` with `BuildDependencies` in
//!   Movable Type's `lib/MT/WeblogPublisher.pm` republishes for a blog with
//!   individual, monthly and category archives.
//! - **Date change**: the same, plus the pages of the entries that were
//!   before and after it at its old date, and the old monthly archive and
//!   the archives before and after that one.
//! - **Template save**: every file of the template. A template module has
//!   no files of its own, so it counts the files of the templates that
//!   include it.
//!
//! Index templates in Movable Type make one file each (no pagination), so
//! every index template counts as one file here, although pressrun's main
//! index is paginated. Each file counts once.

use std::collections::BTreeSet;

use anyhow::{Context, bail};

use crate::common::content::Entry;
use crate::common::site::Site;

/// A template as `pressrun template list` and `template show` print it.
pub struct Template {
    pub name: String,
    /// index, archive, individual, page or module.
    pub kind: String,
    /// The archive types of its maps, such as `monthly`.
    pub archive_types: Vec<String>,
    pub source: String,
}

/// Reads every template of the site with `template list` and `template show`.
pub fn read_templates(site: &Site) -> anyhow::Result<Vec<Template>> {
    let mut templates: Vec<Template> = Vec::new();
    for line in command_output(site, &["template", "list"])?.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with(' ') {
            // A map line: `    map 3: monthly %y/%m/%i`.
            let (Some(template), Some(archive_type)) = (templates.last_mut(), words.get(2)) else {
                bail!("unexpected line in `template list`: {line:?}");
            };
            template.archive_types.push(archive_type.to_string());
        } else if let [name, kind, ..] = words[..] {
            let source = command_output(site, &["template", "show", name])?;
            templates.push(Template { name: name.into(), kind: kind.into(), archive_types: Vec::new(), source });
        }
    }
    Ok(templates)
}

fn command_output(site: &Site, args: &[&str]) -> anyhow::Result<String> {
    let output = site.command(args).output().with_context(|| format!("cannot run pressrun {args:?}"))?;
    if !output.status.success() {
        bail!("pressrun {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Files that Movable Type would republish, by kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct MtCount {
    pub entry_pages: usize,
    pub index_files: usize,
    pub monthly_archives: usize,
    pub category_archives: usize,
}

impl MtCount {
    pub fn total(&self) -> usize {
        self.entry_pages + self.index_files + self.monthly_archives + self.category_archives
    }

    pub fn describe(&self) -> String {
        format!(
            "{} entry pages, {} index files, {} monthly and {} category archives",
            self.entry_pages, self.index_files, self.monthly_archives, self.category_archives
        )
    }
}

/// Counts a save of `entries[index]` that keeps its date.
pub fn entry_save(entries: &[Entry], index: usize, templates: &[Template]) -> MtCount {
    let neighbours = neighbour_entries(entries, index);
    let months = all_months(entries);
    let mut archives = BTreeSet::new();
    add_month_and_neighbours(&months, &entries[index].month(), &mut archives);
    MtCount {
        entry_pages: 1 + neighbours.len(),
        index_files: index_templates(templates),
        monthly_archives: archives.len(),
        category_archives: entries[index].categories.len(),
    }
}

/// Counts a save of `entries[index]` with its date changed to `new_month`,
/// between `entries[new_previous]` and the entry after it.
pub fn entry_move(
    entries: &[Entry],
    index: usize,
    new_month: &str,
    new_previous: usize,
    templates: &[Template],
) -> MtCount {
    let mut pages: BTreeSet<usize> = neighbour_entries(entries, index).into_iter().collect();
    pages.insert(new_previous);
    if let Some(next) = (new_previous + 1..entries.len()).find(|&other| other != index) {
        pages.insert(next);
    }
    pages.insert(index);

    let months = all_months(entries);
    let mut archives = BTreeSet::new();
    add_month_and_neighbours(&months, &entries[index].month(), &mut archives);
    add_month_and_neighbours(&months, new_month, &mut archives);
    MtCount {
        entry_pages: pages.len(),
        index_files: index_templates(templates),
        monthly_archives: archives.len(),
        category_archives: entries[index].categories.len(),
    }
}

/// Counts a save of the template `name`: its own files, or for a module
/// the files of every template that includes it.
pub fn template_save(entries: &[Entry], name: &str, templates: &[Template]) -> anyhow::Result<MtCount> {
    let template = templates.iter().find(|t| t.name == name).with_context(|| format!("no template {name}"))?;
    if template.kind != "module" {
        return template_files(entries, template);
    }
    let mut count = MtCount::default();
    let include = format!("include \"{name}\"");
    for including in templates.iter().filter(|t| t.name != name && t.source.contains(&include)) {
        let files = template_save(entries, &including.name, templates)?;
        count.entry_pages += files.entry_pages;
        count.index_files += files.index_files;
        count.monthly_archives += files.monthly_archives;
        count.category_archives += files.category_archives;
    }
    Ok(count)
}

/// Counts the files a template that is not a module makes.
fn template_files(entries: &[Entry], template: &Template) -> anyhow::Result<MtCount> {
    let categories: BTreeSet<&str> = entries.iter().flat_map(|entry| entry.categories.iter().copied()).collect();
    let mut count = MtCount::default();
    match template.kind.as_str() {
        "index" => count.index_files = 1,
        "individual" => count.entry_pages = entries.len(),
        // The generated site has no pages.
        "page" => {}
        "archive" => {
            for archive_type in &template.archive_types {
                match archive_type.as_str() {
                    "monthly" => count.monthly_archives += all_months(entries).len(),
                    "category" => count.category_archives += categories.len(),
                    other => bail!("template {} has an archive type this count does not know: {other}", template.name),
                }
            }
        }
        other => bail!("template {} has an unknown kind {other}", template.name),
    }
    Ok(count)
}

fn index_templates(templates: &[Template]) -> usize {
    templates.iter().filter(|template| template.kind == "index").count()
}

/// Returns the indexes of the entries before and after `entries[index]`
/// (entries are sorted by date).
fn neighbour_entries(entries: &[Entry], index: usize) -> Vec<usize> {
    let mut neighbours = Vec::new();
    if index > 0 {
        neighbours.push(index - 1);
    }
    if index + 1 < entries.len() {
        neighbours.push(index + 1);
    }
    neighbours
}

/// Returns every month that has an entry, such as `2019-05`, in order.
fn all_months(entries: &[Entry]) -> Vec<String> {
    let months: BTreeSet<String> = entries.iter().map(Entry::month).collect();
    months.into_iter().collect()
}

/// Adds `month` and the months before and after it that have entries.
fn add_month_and_neighbours(months: &[String], month: &str, archives: &mut BTreeSet<String>) {
    archives.insert(month.to_string());
    if let Some(position) = months.iter().position(|m| m == month) {
        if position > 0 {
            archives.insert(months[position - 1].clone());
        }
        if let Some(next) = months.get(position + 1) {
            archives.insert(next.clone());
        }
    }
}
