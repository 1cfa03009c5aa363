//! Lab 2: doing many things at once with async Rust and tokio.
//!
//! An `async fn` returns a future: a plan that does nothing until it is awaited. Awaiting
//! futures one after another runs them in sequence (2.1); joining them runs them at the same
//! time on one thread, so the total is the slowest one rather than the sum (2.2, 2.3). Beyond
//! the seed, 2.4 bounds how many devices are configured at once and gives each its own
//! timeout, so one slow device can neither hold up nor sink the others.
//!
//! Every pause in this lab is `tokio::time::sleep`, never `std::thread::sleep`: the tests run on
//! tokio's paused clock, where sleeping costs no real time and a total is exact.

// What the stub leaves unused until you fill in its `todo!()`s carries an `#[expect(..)]`:
// once your code uses it, the compiler warns that the expectation is unfulfilled, and you
// delete that attribute.

#[expect(unused_imports, reason = "delete this once your code uses it")]
use labkit::log::log;

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

#[expect(unused_imports, reason = "delete this once your code uses it")]
use futures::future::join_all;
#[expect(unused_imports, reason = "delete this once your code uses it")]
use futures::stream::{self, StreamExt};
use rand::{Rng, RngExt};
use tokio::io::{AsyncRead, AsyncWrite};
#[expect(unused_imports, reason = "delete this once your code uses it")]
use tokio::io::{AsyncReadExt, AsyncWriteExt};
#[expect(unused_imports, reason = "delete this once your code uses it")]
use tokio::time::{sleep, timeout};

/// One fetch of the seed's tasks 2.1 and 2.2: a device and how long it takes to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The device's address.
    pub ip: String,
    /// How long the device takes to answer.
    pub delay: Duration,
}

impl Fetch {
    /// A fetch from `ip` that takes `secs` seconds.
    pub fn new(ip: &str, secs: u64) -> Self {
        Self {
            ip: ip.to_owned(),
            delay: Duration::from_secs(secs),
        }
    }
}

/// The seed's sequential fetches (2.1): 3 s, then 2 s.
pub fn sequential_fetches() -> Vec<Fetch> {
    vec![Fetch::new("192.168.1.1", 3), Fetch::new("192.168.1.2", 2)]
}

/// The seed's concurrent fetches (2.2): 3 s, 2 s and 4 s.
pub fn concurrent_fetches() -> Vec<Fetch> {
    vec![
        Fetch::new("192.168.1.10", 3),
        Fetch::new("192.168.1.11", 2),
        Fetch::new("192.168.1.12", 4),
    ]
}

/// One device of task 2.3 and the commands to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The device's address.
    pub ip: String,
    /// The configuration commands, in the order they are sent.
    pub commands: Vec<String>,
}

impl Device {
    /// A device at `ip` to be sent `commands`.
    pub fn new(ip: &str, commands: &[&str]) -> Self {
        Self {
            ip: ip.to_owned(),
            commands: commands.iter().map(|&command| command.to_owned()).collect(),
        }
    }
}

/// The seed's four devices to configure (2.3), with their exact commands.
pub fn devices_to_configure() -> Vec<Device> {
    vec![
        Device::new(
            "192.168.10.1",
            &[
                "hostname R1",
                "interface Loopback0",
                "ip address 10.0.0.1 255.255.255.255",
            ],
        ),
        Device::new(
            "192.168.10.2",
            &["hostname R2", "interface GigabitEthernet0/1", "no shutdown"],
        ),
        Device::new(
            "192.168.10.3",
            &["hostname R3", "line con 0", "logging synchronous"],
        ),
        Device::new(
            "192.168.10.4",
            &[
                "hostname R4",
                "interface Vlan1",
                "ip address 192.168.10.4 255.255.255.0",
            ],
        ),
    ]
}

/// The seed's `random.uniform(1, 3)`: how long one device takes to configure, a whole number
/// of milliseconds from 1 s to 3 s, drawn from `rng` (seed it and the draw is repeatable).
pub fn config_time<R: Rng + ?Sized>(rng: &mut R) -> Duration {
    Duration::from_millis(rng.random_range(1000..=3000))
}

/// Task 2.1: fetches from `ip`, which takes `delay`, and returns `"Data from {ip}"`.
///
/// Contract: prints the seed's `Starting fetch from {ip} (delay: {secs}s)...` line, pauses for
/// exactly `delay` without blocking the thread (other tasks run meanwhile), then prints
/// `Finished fetch from {ip}.`.
pub async fn simulate_network_fetch(ip: &str, delay: Duration) -> String {
    // TODO(2.1): `log` the seed's "Starting fetch from {ip} (delay: {secs}s)..." line, pause
    // for `delay` with `tokio::time::sleep(..).await` (never `std::thread::sleep`: it blocks
    // every task on this thread), `log` "Finished fetch from {ip}.", return "Data from {ip}".
    let _ = (ip, delay);
    todo!("simulate_network_fetch")
}

/// Task 2.1: runs the fetches one after another, each starting when the one before has
/// finished, and returns their results in input order. Takes the sum of the delays.
pub async fn fetch_sequentially(fetches: Vec<Fetch>) -> Vec<String> {
    // TODO(2.1): await `simulate_network_fetch` for each fetch in turn, collecting results.
    let _ = fetches;
    todo!("fetch_sequentially")
}

/// Task 2.2: starts every fetch at once and returns their results in input order (the seed's
/// `asyncio.gather`). Takes the longest delay, not the sum.
pub async fn fetch_concurrently(fetches: Vec<Fetch>) -> Vec<String> {
    // TODO(2.2): make every fetch's future first (they do nothing yet), then await them all
    // together: `futures::future::join_all` keeps the results in input order.
    let _ = fetches;
    todo!("fetch_concurrently")
}

/// Task 2.3: configures the device at `ip` with `commands`, which takes `duration`, and
/// returns `"Configured {ip} with {n} commands."`.
///
/// Contract: prints the seed's `Configuring {ip}...` line, pauses for exactly `duration`
/// without blocking the thread, then prints `Configuration complete for {ip}.`.
pub async fn configure_device(ip: &str, commands: &[String], duration: Duration) -> String {
    // TODO(2.3): like `simulate_network_fetch`, with the seed's configuration messages.
    let _ = (ip, commands, duration);
    todo!("configure_device")
}

/// Task 2.3: configures every device at once and returns the results in input order.
///
/// Contract: draws each device's [`config_time`] from `rng`, one per device in input order,
/// before any configuration starts (so a seeded `rng` gives a repeatable run); takes as long
/// as the slowest device.
pub async fn configure_all<R: Rng + ?Sized>(devices: Vec<Device>, rng: &mut R) -> Vec<String> {
    // TODO(2.3): draw every device's `config_time(rng)` first, in input order; then run every
    // `configure_device` at once, as in 2.2.
    let _ = (devices, rng);
    todo!("configure_all")
}

/// Why one device of [`configure_bounded`] has no configuration result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The device took longer than the per-device timeout; its configuration was abandoned.
    TimedOut {
        /// The device's address.
        ip: String,
        /// The timeout it exceeded.
        after: Duration,
    },
    /// The device's configuration failed with this reason.
    Failed {
        /// The device's address.
        ip: String,
        /// What the configuration returned as its error.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TimedOut { ip, after } => {
                write!(f, "{ip} timed out after {:.1} s", after.as_secs_f64())
            }
            ConfigError::Failed { ip, reason } => write!(f, "{ip} failed: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Task 2.4 (beyond the seed): configures every device with `configure`, at most `limit` at
/// once, each under its own `per_device` timeout, and returns one result per device in input
/// order.
///
/// Contract: devices start in input order, each as soon as fewer than `limit` are in flight
/// (`limit` must be at least 1); a device that fails yields `ConfigError::Failed` with its
/// reason and one that runs past `per_device` yields `ConfigError::TimedOut`, and neither
/// cancels, delays or loses any other device.
pub async fn configure_bounded<F, Fut>(
    devices: Vec<Device>,
    limit: usize,
    per_device: Duration,
    configure: F,
) -> Vec<Result<String, ConfigError>>
where
    F: Fn(Device) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    // TODO(2.4): wrap each device's `configure(device)` in `tokio::time::timeout(per_device,
    // ..)` and turn its outcome into a `Result<String, ConfigError>`; run at most `limit` at
    // once (a `tokio::sync::Semaphore`, or `futures::stream::iter(..).buffer_unordered(limit)`
    // over `(index, future)` pairs); put the results back in input order.
    let _ = (devices, limit, per_device, configure);
    todo!("configure_bounded")
}

/// One router of task 2.5: its name in the fleet (which is also its prompt, `R1>`) and the
/// configuration lines it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    /// The device's name, as the connector takes it and as its prompts show it.
    pub name: String,
    /// The configuration lines, in the order they are sent.
    pub commands: Vec<String>,
}

impl Router {
    /// A router named `name` to be sent `commands`.
    pub fn new(name: &str, commands: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            commands: commands.iter().map(|&command| command.to_owned()).collect(),
        }
    }
}

/// Why one router of task 2.5 has no configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterError {
    /// Connecting failed: the connector's error, as text.
    Refused {
        /// The router's name.
        router: String,
        /// The connector's error.
        reason: String,
    },
    /// Every line of the device was busy: it said `% All lines busy` instead of its banner,
    /// and closed.
    Busy {
        /// The router's name.
        router: String,
    },
    /// The device answered a configuration line with an error: a line starting with `%`.
    Rejected {
        /// The router's name.
        router: String,
        /// The configuration line it rejected.
        command: String,
        /// The device's own error line, e.g. `% Invalid input detected at '^' marker.`.
        message: String,
    },
    /// The session ended (or failed) before the device's next prompt.
    Dropped {
        /// The router's name.
        router: String,
    },
    /// The whole session, from connecting to the last prompt, took longer than the
    /// per-router timeout; it was abandoned.
    TimedOut {
        /// The router's name.
        router: String,
        /// The timeout it exceeded.
        after: Duration,
    },
}

impl fmt::Display for RouterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouterError::Refused { router, reason } => {
                write!(f, "{router} refused the connection: {reason}")
            }
            RouterError::Busy { router } => write!(f, "{router}: all lines busy"),
            RouterError::Rejected {
                router,
                command,
                message,
            } => write!(f, "{router} rejected `{command}`: {message}"),
            RouterError::Dropped { router } => write!(f, "{router} dropped the session"),
            RouterError::TimedOut { router, after } => {
                write!(f, "{router} timed out after {:.1} s", after.as_secs_f64())
            }
        }
    }
}

impl std::error::Error for RouterError {}

/// Task 2.5: configures `router` over one session `io` and returns its running
/// configuration, as `show running-config` shows it, one line each.
///
/// Contract: waits for each prompt before sending the next line, as a person at the console
/// would: the banner and `{name}>`; `enable`, then `{name}#`; `configure terminal`, then
/// `{name}(config)#`; each of `router.commands` in order, each followed by `{name}(config)#`;
/// `end`, then `{name}#`; `show running-config`, whose lines come before `{name}#`; then
/// `exit`. Prompts end without a newline. A device's error line starts with `%`: one before
/// the banner means every line is busy ([`RouterError::Busy`]), one after a configuration line
/// means that line was rejected ([`RouterError::Rejected`], and no later configuration
/// line is sent). A
/// session that ends before the prompt awaited is [`RouterError::Dropped`].
pub async fn configure_router<S>(router: &Router, io: S) -> Result<Vec<String>, RouterError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // TODO(2.5): write each line with `io.write_all(format!("{line}\n").as_bytes()).await`,
    // then read (`io.read(&mut buffer).await`, `tokio::io::AsyncReadExt`) until what the device
    // said ends with the prompt you expect: prompts have no newline, so a line-by-line read
    // waits forever. `Ok(0)` means the device closed the session.
    let _ = (router, io);
    todo!("configure_router")
}

/// Task 2.5: configures every router, at most `limit` at once, each in its own session opened
/// with `connect(name)` and under its own `per_router` timeout, and returns one result per
/// router in input order.
///
/// Contract: as 2.4's [`configure_bounded`]: routers start in input order, each as soon as
/// fewer than `limit` sessions are open (`limit` must be at least 1), and a session is open
/// from `connect` until its stream is dropped; `per_router` covers the whole session, from
/// `connect` on, and starts when the router does; a connector error is
/// [`RouterError::Refused`] and a session past its timeout [`RouterError::TimedOut`]; no
/// router's failure cancels, delays or loses another.
pub async fn configure_fleet<C, Fut, S>(
    routers: Vec<Router>,
    limit: usize,
    per_router: Duration,
    connect: C,
) -> Vec<Result<Vec<String>, RouterError>>
where
    C: Fn(String) -> Fut,
    Fut: Future<Output = io::Result<S>>,
    S: AsyncRead + AsyncWrite + Unpin,
{
    // TODO(2.5): as in 2.4, with one future per router that connects, then calls
    // `configure_router`, all under `tokio::time::timeout(per_router, ..)`.
    let _ = (routers, limit, per_router, connect);
    todo!("configure_fleet")
}
