//! Channel-level WXR records: authors and categories.

use std::collections::HashMap;

use super::tree::{Element, Ns};
use crate::import::source::{ImportedAuthor, ImportedCategory, Position, Skipped};

/// Reads the `wp:author` records. Values are trimmed, because some exports
/// break lines inside them. A record without a login is left out with a
/// warning, and a repeated login keeps its first record.
pub(super) fn read_authors(channel: &Element, warnings: &mut Vec<Skipped>) -> Vec<ImportedAuthor> {
    let mut authors: Vec<ImportedAuthor> = Vec::new();

    for record in channel.children_named(Ns::Wp, "author") {
        let name = record.child_trimmed(Ns::Wp, "author_login");
        if name.is_empty() {
            warnings.push(channel_warning(record, "wp:author has no wp:author_login; ignored".into()));
            continue;
        }
        if authors.iter().any(|author| author.name == name) {
            continue;
        }

        let display_name = record.child_trimmed(Ns::Wp, "author_display_name");
        authors.push(ImportedAuthor {
            name: name.to_string(),
            display_name: if display_name.is_empty() { name } else { display_name }.to_string(),
            email: record.child_trimmed(Ns::Wp, "author_email").to_string(),
        });
    }
    authors
}

/// A category declared in the channel, before its path is resolved.
#[derive(Debug)]
struct CategoryRecord {
    slug: String,
    label: String,
    parent_slug: String,
    description: String,
    line: usize,
}

/// The categories a channel declares, with each one's label path.
#[derive(Debug, Default)]
pub(super) struct CategoryTable {
    records: Vec<CategoryRecord>,
    paths: Vec<Vec<String>>,
    by_slug: HashMap<String, usize>,
}

impl CategoryTable {
    /// Reads `wp:category` records and `wp:term` records of the `category`
    /// taxonomy. A slug declared twice, as WordPress 6 exports do with both
    /// forms, keeps its first record. A parent that is missing, or a loop of
    /// parents, ends the path there with a warning.
    pub(super) fn read(channel: &Element, warnings: &mut Vec<Skipped>) -> CategoryTable {
        let mut table = CategoryTable::default();

        for element in &channel.children {
            let Some(record) = read_category(element) else {
                continue;
            };
            if record.slug.is_empty() {
                warnings.push(channel_warning(element, format!("category {:?} has no slug; ignored", record.label)));
                continue;
            }
            if !table.by_slug.contains_key(&record.slug) {
                table.by_slug.insert(record.slug.clone(), table.records.len());
                table.records.push(record);
            }
        }

        table.paths = (0..table.records.len()).map(|index| table.resolve_path(index, warnings)).collect();
        table
    }

    /// Finds the label path of an item's category: by its slug when the
    /// channel declares it, or else by a label that exactly one declared
    /// category has. Returns `None` for a category the channel does not know.
    pub(super) fn path_of(&self, slug: Option<&str>, label: &str) -> Option<&[String]> {
        if let Some(&index) = slug.and_then(|slug| self.by_slug.get(slug)) {
            return Some(&self.paths[index]);
        }

        let mut matches = self.records.iter().enumerate().filter(|(_, record)| record.label == label);
        match (matches.next(), matches.next()) {
            (Some((index, _)), None) => Some(&self.paths[index]),
            _ => None,
        }
    }

    /// Converts the table into the batch's category list, in file order.
    pub(super) fn into_imported(self) -> Vec<ImportedCategory> {
        self.records
            .into_iter()
            .zip(self.paths)
            .map(|(record, path)| ImportedCategory {
                path,
                basename: Some(record.slug),
                description: record.description,
            })
            .collect()
    }

    /// Walks up the parents of a category. Only the category whose own
    /// parent is missing, or which is its own ancestor, gets the warning, so
    /// that its descendants do not repeat it.
    fn resolve_path(&self, index: usize, warnings: &mut Vec<Skipped>) -> Vec<String> {
        let mut chain = vec![index];
        let mut current = &self.records[index];

        while !current.parent_slug.is_empty() {
            let Some(&parent) = self.by_slug.get(&current.parent_slug) else {
                if chain.len() == 1 {
                    let reason = format!(
                        "category {:?} names a parent {:?} that the file does not declare; read as a top-level category",
                        current.slug, current.parent_slug
                    );
                    warnings.push(category_warning(current, reason));
                }
                break;
            };
            if chain.contains(&parent) {
                if parent == index {
                    let reason =
                        format!("category {:?} is its own ancestor; its path stops before the loop", current.slug);
                    warnings.push(category_warning(&self.records[index], reason));
                }
                break;
            }
            chain.push(parent);
            current = &self.records[parent];
        }

        chain.iter().rev().map(|&index| self.records[index].label.clone()).collect()
    }
}

/// Reads a `wp:category`, or a `wp:term` of the `category` taxonomy.
fn read_category(element: &Element) -> Option<CategoryRecord> {
    if element.ns != Ns::Wp {
        return None;
    }
    let [slug, label, parent, description] = match element.name.as_str() {
        "category" => ["category_nicename", "cat_name", "category_parent", "category_description"],
        "term" if element.child_trimmed(Ns::Wp, "term_taxonomy") == "category" => {
            ["term_slug", "term_name", "term_parent", "term_description"]
        }
        _ => return None,
    };

    Some(CategoryRecord {
        slug: element.child_trimmed(Ns::Wp, slug).to_string(),
        label: element.child_trimmed(Ns::Wp, label).to_string(),
        parent_slug: element.child_trimmed(Ns::Wp, parent).to_string(),
        description: element.child_text(Ns::Wp, description).unwrap_or("").to_string(),
        line: element.line,
    })
}

fn channel_warning(element: &Element, reason: String) -> Skipped {
    Skipped { position: Position { line: element.line, record: 0 }, reason }
}

fn category_warning(record: &CategoryRecord, reason: String) -> Skipped {
    Skipped { position: Position { line: record.line, record: 0 }, reason }
}
