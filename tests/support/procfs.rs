//! Process trees read from /proc: signalling a server and everything it forked, and finding the
//! rsync and ssh processes that a run left behind.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::sync::{Mutex, MutexGuard, Once};
use std::thread;
use std::time::{Duration, Instant};

/// Program names that count as transfer processes when looking for leftovers.
const TRANSFER_PROGRAMS: [&str; 3] = ["rsync", "ssh", "sshd"];

/// How long `kill_tree` waits for killed processes to exit.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// One process as /proc shows it.
#[derive(Clone, Debug)]
pub struct ProcessInfo {
    pub pid: i32,
    pub parent_pid: i32,
    /// The state letter from /proc/PID/stat: `R`, `S`, `D`, `T` (stopped), `Z` (zombie) and others.
    pub state: char,
    /// The executable name (`comm`), at most 15 bytes.
    pub name: String,
    /// The arguments joined by spaces, read when the process was listed.
    pub command_line: String,
}

impl ProcessInfo {
    fn is_exited(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }

    fn is_stopped(&self) -> bool {
        matches!(self.state, 'T' | 't')
    }
}

/// Reads one process from /proc, or returns `None` when it does not exist (any more).
fn read_process(pid: i32) -> Option<ProcessInfo> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;

    // The name sits in parentheses and may itself contain spaces and ')'.
    let name_start = stat.find('(')? + 1;
    let name_end = stat.rfind(')')?;
    let mut fields = stat[name_end + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent_pid = fields.next()?.parse().ok()?;

    let command_line = fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " ").trim_end().to_owned())
        .unwrap_or_default();

    Some(ProcessInfo { pid, parent_pid, state, name: stat[name_start..name_end].to_owned(), command_line })
}

/// Reads every process on the machine, keyed by PID.
fn process_table() -> HashMap<i32, ProcessInfo> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_process)
        .map(|process| (process.pid, process))
        .collect()
}

/// Lists the descendants of `root` (not `root` itself), parents before their children.
fn descendants(root: i32, table: &HashMap<i32, ProcessInfo>) -> Vec<ProcessInfo> {
    let mut children: HashMap<i32, Vec<&ProcessInfo>> = HashMap::new();
    for process in table.values() {
        children.entry(process.parent_pid).or_default().push(process);
    }

    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for child in children.get(&parent).into_iter().flatten() {
            found.push((*child).clone());
            queue.push(child.pid);
        }
    }
    found
}

/// Lists the processes that descend from `root`, read now.
pub(crate) fn descendants_of(root: i32) -> Vec<ProcessInfo> {
    descendants(root, &process_table())
}

/// Returns whether `pid` names a process that has not exited. A zombie counts as exited.
pub fn is_alive(pid: i32) -> bool {
    read_process(pid).is_some_and(|process| !process.is_exited())
}

/// Sends `signal` to one process. A process that no longer exists is not an error.
pub(crate) fn signal_process(pid: i32, signal: i32) {
    // SAFETY: kill(2) has no memory effects; a wrong PID yields ESRCH, which is ignored.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Sends `signal` to every process in the process group led by `leader`.
pub(crate) fn signal_process_group(leader: i32, signal: i32) {
    signal_process(-leader, signal);
}

/// Stops `root` and all its descendants with SIGSTOP and returns the PIDs stopped, `root`
/// first.
pub(crate) fn freeze_tree(root: i32) -> Vec<i32> {
    signal_process(root, libc::SIGSTOP);
    wait_until_stopped(&[root]);

    let mut stopped = vec![root];
    stopped.extend(freeze_descendants(root));
    stopped
}

/// Stops every descendant of `root` with SIGSTOP and returns their PIDs. Stopped processes
/// cannot fork, so the list is complete once a round of /proc finds no new process.
fn freeze_descendants(root: i32) -> Vec<i32> {
    let mut stopped = Vec::new();
    loop {
        let new: Vec<i32> =
            descendants_of(root).into_iter().map(|process| process.pid).filter(|pid| !stopped.contains(pid)).collect();
        if new.is_empty() {
            return stopped;
        }

        for &pid in &new {
            signal_process(pid, libc::SIGSTOP);
        }
        stopped.extend(new);
        wait_until_stopped(&stopped);
    }
}

/// Waits up to one second until every listed process is stopped or gone. A process in an
/// uninterruptible sleep can take longer, so the wait is bounded.
fn wait_until_stopped(pids: &[i32]) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        let all_stopped =
            pids.iter().all(|&pid| read_process(pid).is_none_or(|process| process.is_stopped() || process.is_exited()));
        if all_stopped {
            return;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// Sends SIGCONT to `root`, its process group and all its descendants.
pub(crate) fn thaw_tree(root: i32) {
    for process in descendants_of(root) {
        signal_process(process.pid, libc::SIGCONT);
    }
    signal_process_group(root, libc::SIGCONT);
    signal_process(root, libc::SIGCONT);
}

/// Kills every descendant of `root` with SIGKILL after freezing them, so none can fork a child
/// that escapes, and waits until they have exited. `root` itself keeps running.
pub(crate) fn kill_descendants(root: i32) {
    let pids = freeze_descendants(root);
    for &pid in &pids {
        signal_process(pid, libc::SIGKILL);
    }
    wait_until_dead(&pids, KILL_WAIT);
    reap_adopted(&pids);
}

/// Kills `root`, its process group and all its descendants with SIGKILL, after freezing the
/// tree so that no process forks during the kill. Returns the descendants killed; the caller
/// reaps `root` and then calls `reap_adopted` on them.
pub(crate) fn kill_tree(root: i32) -> Vec<i32> {
    let mut pids = freeze_tree(root);
    for &pid in pids.iter().rev() {
        signal_process(pid, libc::SIGKILL);
    }
    signal_process_group(root, libc::SIGKILL);

    let descendants = pids.split_off(1);
    wait_until_dead(&descendants, KILL_WAIT);
    descendants
}

/// Reaps those of `pids` that are zombies re-parented to this process, which `adopt_orphans`
/// makes the child subreaper. Other PIDs are skipped.
pub(crate) fn reap_adopted(pids: &[i32]) {
    let own_pid = std::process::id() as i32;
    for &pid in pids {
        let adopted_zombie =
            read_process(pid).is_some_and(|process| process.parent_pid == own_pid && process.is_exited());
        if adopted_zombie {
            let mut status = 0;
            // SAFETY: waitpid(2) writes only to `status`; WNOHANG keeps it from blocking.
            unsafe {
                libc::waitpid(pid, &mut status, libc::WNOHANG);
            }
        }
    }
}

/// Waits until every listed process has exited or `timeout` passes; returns those still alive.
fn wait_until_dead(pids: &[i32], timeout: Duration) -> Vec<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        let alive: Vec<i32> = pids.iter().copied().filter(|&pid| is_alive(pid)).collect();
        if alive.is_empty() || Instant::now() >= deadline {
            return alive;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Panics unless every listed process has exited within two seconds, and reaps those that are
/// zombies adopted by this process. Tests collect the PIDs from the guards' `pids()` before
/// dropping them. Do not pass the PID of a `Child` that is still to be waited for.
pub fn assert_all_dead(pids: &[i32]) {
    let alive = wait_until_dead(pids, Duration::from_secs(2));
    reap_adopted(pids);
    let described: Vec<String> = alive
        .iter()
        .filter_map(|&pid| read_process(pid))
        .map(|process| format!("  {} {} ({})", process.pid, process.command_line, process.state))
        .collect();
    assert!(alive.is_empty(), "processes still running:\n{}", described.join("\n"));
}

/// The PIDs of the running harness servers, whose trees `ProcessWatch` does not count.
static SERVER_ROOTS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Records a started server so that its processes are not reported as leftovers.
pub(crate) fn register_server(pid: i32) {
    SERVER_ROOTS.lock().unwrap_or_else(|e| e.into_inner()).insert(pid);
}

/// Forgets a server recorded by `register_server`.
pub(crate) fn unregister_server(pid: i32) {
    SERVER_ROOTS.lock().unwrap_or_else(|e| e.into_inner()).remove(&pid);
}

/// Takes a lock that serializes the tests holding it. Tests that check for leftover processes
/// hold it, because the test harness runs tests as threads of one process and another test's
/// transfers would show up as leftovers.
pub fn serialize_test() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes this process the child subreaper, so that processes orphaned by a child (an rsync
/// whose parent `pressrun` exited, a session whose sshd was killed) are re-parented to this
/// process and stay in its tree.
///
/// NOTE: the harness reaps only the orphans it killed itself. Other orphans that exit stay
/// zombies of the test process until it exits.
pub(crate) fn adopt_orphans() {
    static ADOPT: Once = Once::new();
    ADOPT.call_once(|| {
        // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and touches no memory.
        let result = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(result, 0, "prctl(PR_SET_CHILD_SUBREAPER) failed: {}", std::io::Error::last_os_error());
    });
}

/// The descendants of this test process at one moment, for finding the rsync, ssh and sshd
/// processes that a run leaves behind.
pub struct ProcessWatch {
    before: BTreeSet<i32>,
}

impl ProcessWatch {
    /// Makes this process the child subreaper (see `adopt_orphans`) and records its current
    /// descendants. Take `serialize_test()` first: other tests' processes count as leftovers.
    pub fn start() -> ProcessWatch {
        adopt_orphans();
        let before = descendants_of(std::process::id() as i32).into_iter().map(|process| process.pid).collect();
        ProcessWatch { before }
    }

    /// Lists the live rsync, ssh and sshd processes that descend from this test process and did
    /// not exist when the watch started. Running harness servers and their sessions do not
    /// count; a server's `session_processes()` lists those.
    pub fn leftovers(&self) -> Vec<ProcessInfo> {
        let table = process_table();
        let roots = SERVER_ROOTS.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut server_pids = roots.clone();
        for &root in &roots {
            server_pids.extend(descendants(root, &table).iter().map(|process| process.pid));
        }

        descendants(std::process::id() as i32, &table)
            .into_iter()
            .filter(|process| !self.before.contains(&process.pid))
            .filter(|process| !server_pids.contains(&process.pid))
            .filter(|process| !process.is_exited())
            .filter(|process| TRANSFER_PROGRAMS.contains(&process.name.as_str()))
            .collect()
    }

    /// Panics with the list of leftovers unless there are none within `grace`, which gives
    /// processes that are already exiting time to finish.
    pub fn assert_no_leftovers(&self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let mut leftovers = self.leftovers();
        while !leftovers.is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
            leftovers = self.leftovers();
        }

        let described: Vec<String> = leftovers
            .iter()
            .map(|process| format!("  {} (parent {}): {}", process.pid, process.parent_pid, process.command_line))
            .collect();
        assert!(leftovers.is_empty(), "transfer processes left running:\n{}", described.join("\n"));
    }
}
