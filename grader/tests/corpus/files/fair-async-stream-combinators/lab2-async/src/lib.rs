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

use labkit::log::log;

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use std::sync::Mutex;

use futures::stream::{self, Stream, StreamExt};
use rand::{Rng, RngExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
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
    log(&format!(
        "Starting fetch from {ip} (delay: {}s)...",
        delay.as_secs_f64()
    ));
    sleep(delay).await;
    log(&format!("Finished fetch from {ip}."));
    format!("Data from {ip}")
}

/// Task 2.1: runs the fetches one after another, each starting when the one before has
/// finished, and returns their results in input order. Takes the sum of the delays.
pub async fn fetch_sequentially(fetches: Vec<Fetch>) -> Vec<String> {
    stream::iter(fetches)
        .then(|fetch| async move { simulate_network_fetch(&fetch.ip, fetch.delay).await })
        .collect()
        .await
}

/// Task 2.2: starts every fetch at once and returns their results in input order (the seed's
/// `asyncio.gather`). Takes the longest delay, not the sum.
pub async fn fetch_concurrently(fetches: Vec<Fetch>) -> Vec<String> {
    // Room for every fetch at once; `buffered` yields in input order.
    let all_at_once = fetches.len().max(1);
    stream::iter(&fetches)
        .map(|fetch| simulate_network_fetch(&fetch.ip, fetch.delay))
        .buffered(all_at_once)
        .collect()
        .await
}

/// Task 2.3: configures the device at `ip` with `commands`, which takes `duration`, and
/// returns `"Configured {ip} with {n} commands."`.
///
/// Contract: prints the seed's `Configuring {ip}...` line, pauses for exactly `duration`
/// without blocking the thread, then prints `Configuration complete for {ip}.`.
pub async fn configure_device(ip: &str, commands: &[String], duration: Duration) -> String {
    log(&format!("Configuring {ip}..."));
    sleep(duration).await;
    log(&format!("Configuration complete for {ip}."));
    format!("Configured {ip} with {} commands.", commands.len())
}

/// Task 2.3: configures every device at once and returns the results in input order.
///
/// Contract: draws each device's [`config_time`] from `rng`, one per device in input order,
/// before any configuration starts (so a seeded `rng` gives a repeatable run); takes as long
/// as the slowest device.
pub async fn configure_all<R: Rng + ?Sized>(devices: Vec<Device>, rng: &mut R) -> Vec<String> {
    let times: Vec<Duration> = devices.iter().map(|_| config_time(rng)).collect();
    let all_at_once = devices.len().max(1);
    stream::iter(devices.iter().zip(times))
        .map(|(device, time)| configure_device(&device.ip, &device.commands, time))
        .buffered(all_at_once)
        .collect()
        .await
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
    let results: Mutex<Vec<Option<Result<String, ConfigError>>>> =
        Mutex::new(devices.iter().map(|_| None).collect());
    let (results_ref, configure) = (&results, &configure);
    stream::iter(devices.into_iter().enumerate())
        .for_each_concurrent(limit, |(index, device)| async move {
            let ip = device.ip.clone();
            let result = match timeout(per_device, configure(device)).await {
                Ok(Ok(done)) => Ok(done),
                Ok(Err(reason)) => Err(ConfigError::Failed { ip, reason }),
                Err(_elapsed) => Err(ConfigError::TimedOut {
                    ip,
                    after: per_device,
                }),
            };
            results_ref.lock().expect("the results are never poisoned")[index] = Some(result);
        })
        .await;
    results
        .into_inner()
        .expect("the results are never poisoned")
        .into_iter()
        .map(|result| result.expect("every device has a result"))
        .collect()
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
    let name = router.name.as_str();
    let (reader, mut writer) = tokio::io::split(io);
    // What the device says, as a stream of the chunks it sends, until the session ends.
    let chunks = stream::unfold(reader, |mut reader| async move {
        let mut chunk = vec![0u8; 1024];
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(read) => {
                chunk.truncate(read);
                Some((chunk, reader))
            }
        }
    });
    let mut chunks = Box::pin(chunks);
    let dropped = || RouterError::Dropped {
        router: name.to_owned(),
    };
    let privileged = format!("{name}#");
    let config = format!("{name}(config)#");

    if let Err(said) = next_answer(&mut chunks, &format!("{name}>")).await {
        return Err(if said.lines().any(|line| line.trim().starts_with('%')) {
            RouterError::Busy {
                router: name.to_owned(),
            }
        } else {
            dropped()
        });
    }
    exchange(&mut writer, &mut chunks, "enable", &privileged)
        .await
        .ok_or_else(dropped)?;
    exchange(&mut writer, &mut chunks, "configure terminal", &config)
        .await
        .ok_or_else(dropped)?;
    for command in &router.commands {
        let answer = exchange(&mut writer, &mut chunks, command, &config)
            .await
            .ok_or_else(dropped)?;
        let refusal = answer
            .lines()
            .map(str::trim)
            .find(|said| said.starts_with('%'));
        if let Some(message) = refusal {
            return Err(RouterError::Rejected {
                router: name.to_owned(),
                command: command.clone(),
                message: message.to_owned(),
            });
        }
    }
    exchange(&mut writer, &mut chunks, "end", &privileged)
        .await
        .ok_or_else(dropped)?;
    let shown = exchange(&mut writer, &mut chunks, "show running-config", &privileged)
        .await
        .ok_or_else(dropped)?;
    // Log out, and close our side too: the device ends the session at once.
    if writer.write_all(b"exit\n").await.is_ok() {
        let _ = writer.shutdown().await;
    }
    // Both halves gone: the session is closed.
    drop((chunks, writer));
    Ok(shown
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Writes `line` and returns the device's answer, taken from `chunks` up to `prompt`; `None`
/// if the session ends first.
async fn exchange<W, T>(writer: &mut W, chunks: &mut T, line: &str, prompt: &str) -> Option<String>
where
    W: AsyncWrite + Unpin,
    T: Stream<Item = Vec<u8>> + Unpin,
{
    writer
        .write_all(format!("{line}\n").as_bytes())
        .await
        .ok()?;
    next_answer(chunks, prompt).await.ok()
}

/// Takes `chunks` until what they said ends with `prompt`, and returns what came before it;
/// `Err` with all they said if they end first.
async fn next_answer<T>(chunks: &mut T, prompt: &str) -> Result<String, String>
where
    T: Stream<Item = Vec<u8>> + Unpin,
{
    let mut said: Vec<u8> = Vec::new();
    while !said.ends_with(prompt.as_bytes()) {
        match chunks.next().await {
            Some(chunk) => said.extend(chunk),
            None => return Err(String::from_utf8_lossy(&said).into_owned()),
        }
    }
    said.truncate(said.len() - prompt.len());
    Ok(String::from_utf8_lossy(&said).into_owned())
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
    let results = Mutex::new(routers.iter().map(|_| None).collect::<Vec<_>>());
    let (results_ref, connect) = (&results, &connect);
    stream::iter(routers.into_iter().enumerate())
        .for_each_concurrent(limit, |(index, router)| async move {
            // `for_each_concurrent` starts this router now, and its timeout with it.
            let session = async {
                let io =
                    connect(router.name.clone())
                        .await
                        .map_err(|error| RouterError::Refused {
                            router: router.name.clone(),
                            reason: error.to_string(),
                        })?;
                configure_router(&router, io).await
            };
            let result = match timeout(per_router, session).await {
                Ok(configured) => configured,
                Err(_elapsed) => Err(RouterError::TimedOut {
                    router: router.name.clone(),
                    after: per_router,
                }),
            };
            results_ref.lock().expect("the results are never poisoned")[index] = Some(result);
        })
        .await;
    results
        .into_inner()
        .expect("the results are never poisoned")
        .into_iter()
        .map(|result| result.expect("every router has a result"))
        .collect()
}
