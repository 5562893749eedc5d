//! Test hosts for integration tests: real sshd and rsync daemon servers on this machine that a
//! test can stop, hang and bring back, plus checks on what a transfer left behind.
//!
//! Every server is an RAII guard. It owns a temporary directory (keys, configuration, log) and
//! the processes it started, and its `Drop` ends those processes by PID. Include the module in a
//! test file with `mod support;`.
//!
//! The servers need root: sshd logs in as a dedicated user that the harness creates once per
//! machine, and network namespaces need `CAP_NET_ADMIN`.
//!
//! Starting a server or a `ProcessWatch` makes the test process a child subreaper
//! (`PR_SET_CHILD_SUBREAPER`), so processes orphaned by its children stay in its process tree,
//! where the harness can find and kill them.

// Each test binary uses only part of the harness and of its re-exports.
#![allow(dead_code, unused_imports)]

mod command;
mod daemon;
mod error;
mod net;
mod netns;
mod procfs;
mod server;
mod ssh;
mod trees;
mod user;

pub use command::{CommandOutcome, run_with_deadline};
pub use daemon::RsyncDaemon;
pub use error::{HarnessError, Result};
pub use net::free_port;
pub use netns::NamespaceHost;
pub use procfs::{ProcessInfo, ProcessWatch, assert_all_dead, is_alive, serialize_test};
pub use ssh::{SshFleet, SshServer};
pub use trees::{TreeDifference, assert_trees_equal, compare_trees};
pub use user::{TEST_USER, TestUser, scratch_dir, test_user};

pub mod site;
