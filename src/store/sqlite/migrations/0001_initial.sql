-- The first schema of a pressrun store. Timestamps are Unix seconds in UTC.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE authors (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    basename     TEXT NOT NULL UNIQUE
);

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    label       TEXT NOT NULL,
    basename    TEXT NOT NULL,
    parent_id   INTEGER REFERENCES categories (id) ON DELETE RESTRICT,
    description TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX categories_path ON categories (coalesce(parent_id, 0), basename);

CREATE TABLE entries (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('entry', 'page')),
    title          TEXT NOT NULL,
    basename       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published', 'scheduled')),
    authored_on    INTEGER NOT NULL,
    modified_on    INTEGER NOT NULL,
    author_id      INTEGER REFERENCES authors (id) ON DELETE SET NULL,
    body           TEXT NOT NULL,
    extended       TEXT NOT NULL,
    excerpt        TEXT NOT NULL,
    keywords       TEXT NOT NULL,
    text_filter    TEXT NOT NULL,
    allow_comments INTEGER NOT NULL,
    source_key     TEXT UNIQUE
);
CREATE UNIQUE INDEX entries_basename ON entries (kind, basename);
CREATE INDEX entries_by_status ON entries (status, kind, authored_on, id);

CREATE TABLE entry_categories (
    entry_id    INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (entry_id, category_id)
);
CREATE INDEX entry_categories_by_category ON entry_categories (category_id);

CREATE TABLE entry_tags (
    entry_id INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (entry_id, tag)
);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('comment', 'trackback', 'pingback')),
    author     TEXT NOT NULL,
    email      TEXT NOT NULL,
    url        TEXT NOT NULL,
    ip         TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_on INTEGER NOT NULL,
    approved   INTEGER NOT NULL
);
CREATE INDEX comments_by_entry ON comments (entry_id, created_on);

CREATE TABLE templates (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    source           TEXT NOT NULL,
    output           TEXT,
    page_size        INTEGER NOT NULL DEFAULT 0,
    publish_type     TEXT NOT NULL DEFAULT 'background',
    publish_interval INTEGER NOT NULL DEFAULT 0,
    last_published   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE template_maps (
    id           INTEGER PRIMARY KEY,
    template_id  INTEGER NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    archive_type TEXT NOT NULL,
    file_pattern TEXT NOT NULL,
    is_preferred INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE assets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL UNIQUE,
    mime        TEXT NOT NULL DEFAULT 'application/octet-stream',
    size        INTEGER NOT NULL DEFAULT 0,
    width       INTEGER,
    height      INTEGER,
    hash        TEXT,
    source_url  TEXT,
    entry_id    INTEGER REFERENCES entries (id) ON DELETE SET NULL,
    created_on  INTEGER NOT NULL,
    source_key  TEXT UNIQUE
);

-- One row per output file: what produces it, where it goes, and what is on
-- disk now. `path` is where the file should be (NULL once it is retired);
-- `published_path` is where the last written copy is.
CREATE TABLE file_info (
    id              INTEGER PRIMARY KEY,
    owner_key       TEXT NOT NULL UNIQUE,
    archive_type    TEXT NOT NULL,
    template_id     INTEGER,
    template_map_id INTEGER,
    entry_id        INTEGER,
    category_id     INTEGER,
    asset_id        INTEGER,
    period          TEXT,
    page_number     INTEGER NOT NULL DEFAULT 1,
    path            TEXT,
    url             TEXT NOT NULL DEFAULT '',
    published_path  TEXT,
    content_hash    TEXT,
    priority        INTEGER NOT NULL,
    tier            INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired', 'failed')),
    last_error      TEXT
);
CREATE UNIQUE INDEX file_info_by_path ON file_info (path) WHERE path IS NOT NULL;
CREATE INDEX file_info_by_published_path ON file_info (published_path);
CREATE INDEX file_info_by_entry ON file_info (entry_id);
CREATE INDEX file_info_by_template ON file_info (template_id);
CREATE INDEX file_info_by_asset ON file_info (asset_id);

-- What each file read when it was last rendered. `lo` and `hi` bound the
-- positions (sort keys) in a list that the file depends on; NULL is unbounded.
CREATE TABLE deps (
    file_info_id INTEGER NOT NULL REFERENCES file_info (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    lo           TEXT,
    hi           TEXT
);
CREATE INDEX deps_by_key ON deps (key);
CREATE INDEX deps_by_file ON deps (file_info_id);

-- Publish jobs, one per file. `generation` grows with every request, so a
-- request that arrives while the job is claimed makes it run again.
CREATE TABLE jobs (
    id                 INTEGER PRIMARY KEY,
    file_info_id       INTEGER NOT NULL UNIQUE REFERENCES file_info (id) ON DELETE CASCADE,
    priority           INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    queued_on          INTEGER NOT NULL,
    run_after          INTEGER NOT NULL DEFAULT 0,
    claimed_by         TEXT,
    claimed_generation INTEGER,
    lease_until        INTEGER,
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT
);
CREATE INDEX jobs_in_order ON jobs (priority DESC, id);

CREATE TABLE targets (
    name              TEXT PRIMARY KEY,
    added_on          INTEGER NOT NULL,
    initial_copy_done INTEGER NOT NULL DEFAULT 0,
    last_attempt      INTEGER,
    last_success      INTEGER,
    last_error        TEXT,
    failures          INTEGER NOT NULL DEFAULT 0,
    next_retry        INTEGER NOT NULL DEFAULT 0,
    claimed_by        TEXT,
    lease_until       INTEGER,
    delete_method     TEXT
);

-- A path whose current state (present or removed) has not yet reached a
-- target. `version` grows each time the path changes again.
CREATE TABLE pending (
    target  TEXT NOT NULL REFERENCES targets (name) ON DELETE CASCADE,
    path    TEXT NOT NULL,
    tier    INTEGER NOT NULL,
    since   INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (target, path)
) WITHOUT ROWID;
CREATE INDEX pending_in_order ON pending (target, tier, path);
