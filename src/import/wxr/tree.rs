//! Reads a WXR document into a small element tree.
//!
//! The tree keeps what the WXR reader needs: each element's namespace, local
//! name, attributes, text and children. XML problems are handled while the
//! tree is built, so the code that reads items gets clean data:
//!
//! - Elements are matched by namespace URI, never by prefix. A prefix bound to
//!   another URI is [`Ns::Other`], even when it is spelled `wp`.
//! - A `wp`, `content`, `excerpt` or `dc` prefix that the file never declares
//!   is read as the standard namespace of that prefix, with one warning per
//!   prefix. Old WordPress versions wrote `excerpt:encoded` without declaring
//!   `excerpt`.
//! - Consecutive text and CDATA sections concatenate, without the white space
//!   that indents CDATA sections in pretty-printed exports.
//! - Malformed XML, including elements left open at the end of the file, is an
//!   error with the line and byte offset.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::WxrError;
use crate::import::source::{Position, Skipped};

/// The namespaces the WXR reader tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ns {
    /// No namespace: the RSS elements such as `item`, `title` and `guid`.
    Rss,
    /// `http://wordpress.org/export/1.0/`, `1.1/` or `1.2/`.
    Wp,
    /// `http://purl.org/rss/1.0/modules/content/`.
    Content,
    /// `http://wordpress.org/export/1.0/excerpt/`, `1.1/excerpt/` or `1.2/excerpt/`.
    Excerpt,
    /// `http://purl.org/dc/elements/1.1/`.
    Dc,
    /// Any other namespace.
    Other,
}

/// An XML element with its text and child elements.
#[derive(Clone, Debug)]
pub(super) struct Element {
    pub ns: Ns,
    pub name: String,
    /// Attributes without a prefix, with their values unescaped.
    pub attributes: Vec<(String, String)>,
    /// The element's own text and CDATA, concatenated.
    pub text: String,
    pub children: Vec<Element>,
    /// 1-based line of the start tag.
    pub line: usize,
}

impl Element {
    /// Finds the first child with this namespace and local name.
    pub fn child(&self, ns: Ns, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.ns == ns && child.name == name)
    }

    /// Lists the children with this namespace and local name, in order.
    pub fn children_named<'a>(&'a self, ns: Ns, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.ns == ns && child.name == name)
    }

    /// Returns the text of the first matching child, as the file wrote it.
    pub fn child_text(&self, ns: Ns, name: &str) -> Option<&str> {
        self.child(ns, name).map(|child| child.text.as_str())
    }

    /// Returns the trimmed text of the first matching child, or `""`.
    pub fn child_trimmed(&self, ns: Ns, name: &str) -> &str {
        self.child_text(ns, name).unwrap_or("").trim()
    }

    /// Returns the value of an attribute without a prefix.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// A parsed document: its root element and the problems that were tolerated.
pub(super) struct Document {
    pub root: Element,
    pub warnings: Vec<Skipped>,
}

/// Reads a whole document.
///
/// # Errors
///
/// Returns [`WxrError::Malformed`] for any XML error, for an element not
/// closed at the end of the file, for text after a second root element and
/// for a document without a root element.
pub(super) fn read_document(text: &str) -> Result<Document, WxrError> {
    let mut reader = NsReader::from_str(text);
    let mut builder = Builder::new(text);

    loop {
        let event_start = to_offset(reader.buffer_position());
        let (resolution, event) = match reader.read_resolved_event() {
            Ok(resolved) => resolved,
            Err(error) => {
                let offset = to_offset(reader.error_position());
                return Err(builder.malformed(offset, error.to_string()));
            }
        };
        let ns = builder.classify(&resolution, &event, event_start);
        let event_end = to_offset(reader.buffer_position());

        match event {
            Event::Start(start) => builder.open(ns, &start, event_start, event_end)?,
            Event::Empty(start) => {
                builder.open(ns, &start, event_start, event_end)?;
                builder.close(event_end)?;
            }
            Event::End(_) => builder.close(event_start)?,
            Event::Text(content) => builder.push_text(&content.xml10_content()),
            Event::CData(content) => builder.push_cdata(&content.xml10_content()),
            Event::GeneralRef(reference) => builder.push_reference(&reference, event_start)?,
            Event::Eof => return builder.finish(),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn to_offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// An element whose end tag has not been read yet.
struct OpenElement {
    element: Element,
    /// The name as the start tag wrote it, prefix included, for messages.
    qualified_name: String,
    /// Byte offset just after the start tag.
    content_start: usize,
    /// Whether a text node of this element contained `]]>`.
    has_raw_cdata_end: bool,
    /// Whether the element has a CDATA section.
    has_cdata: bool,
    /// White space read since the last text, held back until it is known
    /// whether it only indents CDATA sections.
    pending_space: String,
}

struct Builder<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    stack: Vec<OpenElement>,
    root: Option<Element>,
    warnings: Vec<Skipped>,
    undeclared_prefixes: Vec<String>,
    /// Number of `<item>` elements opened so far.
    items_seen: usize,
    /// Stack depth of the `<item>` being read, if any.
    item_depth: Option<usize>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(index, _)| index + 1)).collect();
        Builder {
            text,
            line_starts,
            stack: Vec::new(),
            root: None,
            warnings: Vec::new(),
            undeclared_prefixes: Vec::new(),
            items_seen: 0,
            item_depth: None,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    fn malformed(&self, offset: usize, message: String) -> WxrError {
        WxrError::Malformed { line: self.line_of(offset), offset, message }
    }

    fn warn(&mut self, offset: usize, reason: String) {
        let record = if self.item_depth.is_some() { self.items_seen } else { 0 };
        let position = Position { line: self.line_of(offset), record };
        self.warnings.push(Skipped { position, reason });
    }

    /// Maps a start or end tag's namespace to [`Ns`]. Other events have none.
    fn classify(&mut self, resolution: &ResolveResult, event: &Event, offset: usize) -> Ns {
        if !matches!(event, Event::Start(_) | Event::Empty(_) | Event::End(_)) {
            return Ns::Other;
        }
        match resolution {
            ResolveResult::Unbound => Ns::Rss,
            ResolveResult::Bound(namespace) => ns_from_uri(namespace.0),
            ResolveResult::Unknown(prefix) => self.classify_undeclared(prefix, offset),
        }
    }

    fn classify_undeclared(&mut self, prefix: &str, offset: usize) -> Ns {
        let ns = match prefix {
            "wp" => Ns::Wp,
            "content" => Ns::Content,
            "excerpt" => Ns::Excerpt,
            "dc" => Ns::Dc,
            _ => Ns::Other,
        };
        if ns != Ns::Other && !self.undeclared_prefixes.iter().any(|known| known == prefix) {
            self.undeclared_prefixes.push(prefix.to_string());
            self.warn(
                offset,
                format!("namespace prefix `{prefix}` is used without a declaration; read as the standard `{prefix}` namespace"),
            );
        }
        ns
    }

    fn open(&mut self, ns: Ns, start: &BytesStart, event_start: usize, event_end: usize) -> Result<(), WxrError> {
        if self.root.is_some() && self.stack.is_empty() {
            return Err(self.malformed(event_start, "a second root element follows the first".into()));
        }

        let name = start.local_name().as_ref().to_string();
        let qualified_name = start.name().as_ref().to_string();
        if ns == Ns::Rss && name == "item" && self.item_depth.is_none() {
            self.items_seen += 1;
            self.item_depth = Some(self.stack.len());
        }

        let element = Element {
            ns,
            name,
            attributes: self.read_attributes(start, event_start)?,
            text: String::new(),
            children: Vec::new(),
            line: self.line_of(event_start),
        };
        self.stack.push(OpenElement {
            element,
            qualified_name,
            content_start: event_end,
            has_raw_cdata_end: false,
            has_cdata: false,
            pending_space: String::new(),
        });
        Ok(())
    }

    fn read_attributes(&self, start: &BytesStart, offset: usize) -> Result<Vec<(String, String)>, WxrError> {
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|error| self.malformed(offset, error.to_string()))?;
            if attribute.key.prefix().is_some() || attribute.key.as_ref() == "xmlns" {
                continue;
            }
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| self.malformed(offset, error.to_string()))?;
            attributes.push((attribute.key.as_ref().to_string(), value.into_owned()));
        }
        Ok(attributes)
    }

    /// Ends the innermost open element. `content_end` is the offset of its
    /// end tag, or of the end of an empty-element tag.
    fn close(&mut self, content_end: usize) -> Result<(), WxrError> {
        let Some(open) = self.stack.pop() else {
            return Err(self.malformed(content_end, "end tag without a start tag".into()));
        };
        let mut element = open.element;
        if !open.has_cdata {
            element.text.push_str(&open.pending_space);
        }
        if open.has_raw_cdata_end {
            let document = self.text;
            let raw = &document[open.content_start..content_end];
            element.text = self.recover_cdata(&element, &open.qualified_name, raw, open.content_start)?;
        }
        if self.item_depth == Some(self.stack.len()) {
            self.item_depth = None;
        }

        match self.stack.last_mut() {
            Some(parent) => parent.element.children.push(element),
            None => self.root = Some(element),
        }
        Ok(())
    }

    /// Reads the content of an element whose text contained `]]>`.
    ///
    /// An exporter that wraps content in one CDATA section without escaping
    /// a `]]>` inside it writes `<![CDATA[a ]]> b]]>`: the section ends
    /// early and ` b]]>` is left as text. No well-formed document has `]]>`
    /// in text, so when the raw content is one `<![CDATA[ … ]]>` wrapper,
    /// everything inside the wrapper is taken as the intended text, with a
    /// warning.
    fn recover_cdata(&mut self, element: &Element, name: &str, raw: &str, offset: usize) -> Result<String, WxrError> {
        let inner = raw.trim().strip_prefix("<![CDATA[").and_then(|rest| rest.strip_suffix("]]>"));

        match inner {
            Some(inner) if element.children.is_empty() => {
                let recovered = inner.replace("\r\n", "\n").replace('\r', "\n");
                let reason = format!(
                    "<{name}> has `]]>` inside its CDATA section; its whole content was read as one CDATA section"
                );
                self.warn(offset, reason);
                Ok(recovered)
            }
            _ => Err(self.malformed(offset, format!("`]]>` in the text of <{name}> outside a CDATA section"))),
        }
    }

    /// Appends a text node to the innermost open element. Text outside the
    /// root element is ignored. White space alone is held back, see
    /// [`Builder::push_cdata`].
    fn push_text(&mut self, content: &str) {
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        if content.contains("]]>") {
            open.has_raw_cdata_end = true;
        }
        open.pending_space.push_str(content);
        if !content.chars().all(char::is_whitespace) {
            open.element.text.push_str(&open.pending_space);
            open.pending_space.clear();
        }
    }

    /// Appends a CDATA section. White space between the start tag and the
    /// first CDATA section, and after the last one, is dropped: pretty-printed
    /// exports indent CDATA there, and it is not part of the content. White
    /// space between two sections is kept.
    fn push_cdata(&mut self, content: &str) {
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        if open.has_cdata || !open.element.text.is_empty() {
            open.element.text.push_str(&open.pending_space);
        }
        open.pending_space.clear();
        open.has_cdata = true;
        open.element.text.push_str(content);
    }

    /// Appends the character an entity or character reference stands for.
    /// An entity that XML does not predefine, such as `&nbsp;`, is kept as
    /// written, with a warning, since a WXR file has no DTD to define it.
    fn push_reference(&mut self, reference: &BytesRef, offset: usize) -> Result<(), WxrError> {
        let replacement = match reference.resolve_char_ref() {
            Ok(Some(character)) => character.to_string(),
            Ok(None) => match predefined_entity(reference.as_ref()) {
                Some(character) => character.to_string(),
                None => {
                    let name = reference.as_ref();
                    self.warn(offset, format!("undefined entity `&{name};` kept as text"));
                    format!("&{name};")
                }
            },
            Err(error) => return Err(self.malformed(offset, error.to_string())),
        };
        if let Some(open) = self.stack.last_mut() {
            open.element.text.push_str(&open.pending_space);
            open.pending_space.clear();
            open.element.text.push_str(&replacement);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Document, WxrError> {
        if let Some(open) = self.stack.last() {
            let message =
                format!("the file ends before <{}> from line {} is closed", open.element.name, open.element.line);
            return Err(self.malformed(self.text.len(), message));
        }
        match self.root.take() {
            Some(root) => Ok(Document { root, warnings: self.warnings }),
            None => Err(self.malformed(0, "the document has no root element".into())),
        }
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    let character = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    };
    Some(character)
}

/// Maps a namespace URI to [`Ns`]. The WordPress URIs are accepted with
/// `https://` too, because the Theme Unit Test data uses that form.
fn ns_from_uri(uri: &str) -> Ns {
    match uri {
        "" => Ns::Rss,
        "http://purl.org/rss/1.0/modules/content/" => Ns::Content,
        "http://purl.org/dc/elements/1.1/" => Ns::Dc,
        _ => wordpress_ns(uri).unwrap_or(Ns::Other),
    }
}

fn wordpress_ns(uri: &str) -> Option<Ns> {
    let path = uri
        .strip_prefix("http://wordpress.org/export/")
        .or_else(|| uri.strip_prefix("https://wordpress.org/export/"))?;
    let (version, rest) = path.split_once('/')?;
    if !matches!(version, "1.0" | "1.1" | "1.2") {
        return None;
    }
    match rest {
        "" => Some(Ns::Wp),
        "excerpt/" => Some(Ns::Excerpt),
        _ => None,
    }
}
