//! A separate host: sshd in a network namespace, reached over a veth pair whose link can be
//! taken down and whose packets can be dropped.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::command::{describe, find_system_program, run};
use super::error::{HarnessError, Result, failed};
use super::ssh::SshServer;
use super::user::FileLock;

/// Serializes choosing a subnet and assigning it across test processes on one machine.
const NAMESPACE_LOCK_PATH: &str = "/var/tmp/pressrun-test-netns.lock";

/// The first two octets of the /24 subnets given to namespaces: 10.231.N.0/24. A subnet that
/// any address or route on the machine already uses is skipped.
const SUBNET_PREFIX: [u8; 2] = [10, 231];

/// How long `set_link_up` waits for this side of the veth pair to report its link up.
const LINK_UP_TIMEOUT: Duration = Duration::from_secs(5);

/// The maximum length of a Linux interface name (IFNAMSIZ minus the terminating NUL).
const MAX_INTERFACE_NAME: usize = 15;

/// A host in its own network namespace with sshd on port 22, reached from the test process
/// through a veth pair: 10.231.N.1 on this side and `address()` (10.231.N.2) inside.
///
/// The guard owns the namespace, the veth pair and the sshd inside. Dropping it kills sshd and
/// deletes the veth pair and the namespace. Creating one needs root (`CAP_NET_ADMIN`) and `ip`
/// from iproute2.
pub struct NamespaceHost {
    // Taken and dropped first in `drop`, so that no process is left inside the namespace.
    sshd: Option<SshServer>,
    ip: PathBuf,
    name: String,
    host_interface: String,
    guest_interface: String,
    host_address: Ipv4Addr,
    guest_address: Ipv4Addr,
    link_created: bool,
}

impl NamespaceHost {
    /// Creates the namespace and the veth pair and starts sshd inside. Fails with
    /// `HarnessError::Unsupported` when `ip` is missing or the kernel refuses namespaces or veth
    /// devices to this process, so that tests can skip.
    pub fn new() -> Result<NamespaceHost> {
        let ip = find_system_program("ip")
            .ok_or_else(|| HarnessError::Unsupported("ip from iproute2 not found".to_owned()))?;

        static SEQUENCE: AtomicU32 = AtomicU32::new(0);
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let host_interface = format!("pr{pid}h{sequence}");
        let guest_interface = format!("pr{pid}g{sequence}");
        assert!(host_interface.len() <= MAX_INTERFACE_NAME, "interface name {host_interface} is too long");

        let lock = FileLock::acquire(Path::new(NAMESPACE_LOCK_PATH))?;
        let subnet = choose_subnet(&ip, pid + sequence)?;
        let name = format!("pressrun-test-{pid}-{sequence}");
        create_namespace(&ip, &name)?;

        let mut host = NamespaceHost {
            sshd: None,
            ip,
            name,
            host_interface,
            guest_interface,
            host_address: Ipv4Addr::new(SUBNET_PREFIX[0], SUBNET_PREFIX[1], subnet, 1),
            guest_address: Ipv4Addr::new(SUBNET_PREFIX[0], SUBNET_PREFIX[1], subnet, 2),
            link_created: false,
        };
        host.create_link()?;
        drop(lock);

        let address = SocketAddr::new(IpAddr::V4(host.guest_address), 22);
        host.sshd = Some(SshServer::start_at(address, Some((&host.ip, &host.name)))?);
        Ok(host)
    }

    fn create_link(&mut self) -> Result<()> {
        let mut link = self.ip_command(&["link", "add", &self.host_interface, "type", "veth", "peer", "name"]);
        link.args([&self.guest_interface, "netns", &self.name]);
        run_or_unsupported(&mut link, &["Unknown device type", "Operation not permitted"])?;
        self.link_created = true;

        let host_cidr = format!("{}/24", self.host_address);
        let guest_cidr = format!("{}/24", self.guest_address);
        run(&mut self.ip_command(&["addr", "add", &host_cidr, "dev", &self.host_interface]))?;
        run(&mut self.ip_command(&["link", "set", &self.host_interface, "up"]))?;
        run(&mut self.namespace_ip_command(&["addr", "add", &guest_cidr, "dev", &self.guest_interface]))?;
        run(&mut self.namespace_ip_command(&["link", "set", &self.guest_interface, "up"]))?;
        run(&mut self.namespace_ip_command(&["link", "set", "lo", "up"]))?;
        Ok(())
    }

    fn ip_command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new(&self.ip);
        command.args(arguments);
        command
    }

    fn namespace_ip_command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new(&self.ip);
        command.args(["-n", &self.name]).args(arguments);
        command
    }

    /// Returns the sshd inside the namespace. Its targets name `address()`.
    pub fn ssh(&self) -> &SshServer {
        self.sshd.as_ref().expect("a started namespace host has sshd")
    }

    /// Returns the sshd inside the namespace for `stop`, `hang` and the other state changes.
    pub fn ssh_mut(&mut self) -> &mut SshServer {
        self.sshd.as_mut().expect("a started namespace host has sshd")
    }

    /// Returns the namespace's address, which its sshd listens on.
    pub fn address(&self) -> Ipv4Addr {
        self.guest_address
    }

    /// Returns the address on this side of the veth pair, from which the namespace is reached.
    pub fn host_side_address(&self) -> Ipv4Addr {
        self.host_address
    }

    /// Returns the namespace name for `ip netns exec NAME ...`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes the interface inside the namespace down. This side keeps its route but loses the
    /// carrier, so a new connection fails with "No route to host" once ARP gives up (about 3 s
    /// with Linux defaults) and open connections stall.
    ///
    /// Fails with `HarnessError::Unsupported`, after bringing the link back up, when this
    /// machine ignores routes without carrier (`ignore_routes_with_linkdown`): the traffic
    /// would then leave through the default route.
    pub fn set_link_down(&mut self) -> Result<()> {
        run(&mut self.namespace_ip_command(&["link", "set", &self.guest_interface, "down"]))?;

        let guest = self.guest_address.to_string();
        let route = run(&mut self.ip_command(&["-4", "route", "get", &guest]));
        let route_uses_veth = route.as_ref().is_ok_and(|output| {
            String::from_utf8_lossy(&output.stdout).contains(&format!("dev {} ", self.host_interface))
        });
        if route_uses_veth {
            return Ok(());
        }

        self.set_link_up()?;
        Err(HarnessError::Unsupported(format!(
            "the route to {guest} does not use {} while its link is down (ignore_routes_with_linkdown?)",
            self.host_interface
        )))
    }

    /// Brings the interface inside the namespace back up and waits until this side has the
    /// carrier again.
    ///
    /// It also flushes this side's neighbor (ARP) entries: an entry that failed while the link
    /// was down would otherwise make the next connection fail with "No route to host".
    pub fn set_link_up(&mut self) -> Result<()> {
        run(&mut self.namespace_ip_command(&["link", "set", &self.guest_interface, "up"]))?;

        let operstate = PathBuf::from(format!("/sys/class/net/{}/operstate", self.host_interface));
        let deadline = Instant::now() + LINK_UP_TIMEOUT;
        while fs::read_to_string(&operstate).unwrap_or_default().trim() != "up" {
            if Instant::now() >= deadline {
                return Err(failed(format!("{} is not up {LINK_UP_TIMEOUT:?} after its peer", self.host_interface)));
            }
            thread::sleep(Duration::from_millis(10));
        }

        run(&mut self.ip_command(&["neigh", "flush", "dev", &self.host_interface])).map(drop)
    }

    /// Makes the namespace drop every packet it sends to this side, with a blackhole route to
    /// `host_side_address()`. Clients then get no reply at all: a new connection waits for
    /// ssh's `ConnectTimeout` and an open one stalls until rsync's `--timeout`.
    ///
    /// NOTE: packets still arrive in the namespace, so its sshd accepts data it cannot
    /// acknowledge. iptables, nft and the tc netem qdisc would drop them on arrival instead,
    /// but none was available where this was written.
    pub fn start_dropping_packets(&mut self) -> Result<()> {
        let host = format!("{}/32", self.host_address);
        run(&mut self.namespace_ip_command(&["route", "add", "blackhole", &host])).map(drop)
    }

    /// Removes the blackhole route of `start_dropping_packets`.
    pub fn stop_dropping_packets(&mut self) -> Result<()> {
        let host = format!("{}/32", self.host_address);
        run(&mut self.namespace_ip_command(&["route", "del", "blackhole", &host])).map(drop)
    }
}

impl Drop for NamespaceHost {
    fn drop(&mut self) {
        drop(self.sshd.take());

        if self.link_created {
            if let Err(error) = run(&mut self.ip_command(&["link", "del", &self.host_interface])) {
                eprintln!("could not delete the veth pair of network namespace {}: {error}", self.name);
            }
        }
        if let Err(error) = run(&mut self.ip_command(&["netns", "del", &self.name])) {
            eprintln!("could not delete network namespace {}: {error}", self.name);
        }
    }
}

/// Returns N for a subnet 10.231.N.0/24 that no address or route on this machine uses,
/// starting the search at a value derived from `seed`.
fn choose_subnet(ip: &Path, seed: u32) -> Result<u8> {
    let mut in_use = String::new();
    for arguments in [["-4", "-o", "addr", "show"].as_slice(), ["-4", "route", "show", "table", "all"].as_slice()] {
        let output = run(Command::new(ip).args(arguments))?;
        in_use.push_str(&String::from_utf8_lossy(&output.stdout));
    }

    let start = seed % 254;
    for offset in 0..254 {
        let subnet = ((start + offset) % 254 + 1) as u8;
        let prefix = format!("{}.{}.{subnet}.", SUBNET_PREFIX[0], SUBNET_PREFIX[1]);
        if !in_use.contains(&prefix) {
            return Ok(subnet);
        }
    }
    Err(failed(format!("every subnet {}.{}.N.0/24 is in use", SUBNET_PREFIX[0], SUBNET_PREFIX[1])))
}

/// Runs `ip netns add NAME`, reporting a refused permission as `HarnessError::Unsupported`.
fn create_namespace(ip: &Path, name: &str) -> Result<()> {
    let mut command = Command::new(ip);
    command.args(["netns", "add", name]);
    run_or_unsupported(&mut command, &["Permission denied", "Operation not permitted"])
}

/// Runs a command like `run`, but reports a failure whose stderr contains one of `markers` as
/// `HarnessError::Unsupported`.
fn run_or_unsupported(command: &mut Command, markers: &[&str]) -> Result<()> {
    let output = command.output().map_err(|error| failed(format!("could not run `{}`: {error}", describe(command))))?;
    if output.status.success() {
        return Ok(());
    }

    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    let message = format!("`{}` failed with {}: {stderr}", describe(command), output.status);
    if markers.iter().any(|marker| stderr.contains(marker)) {
        Err(HarnessError::Unsupported(message))
    } else {
        Err(failed(message))
    }
}
