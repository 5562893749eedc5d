//! Basenames: the file names, without extension, that entries publish under.
