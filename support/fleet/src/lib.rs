//! A fleet of fake routers for Lab 2.5: devices that speak a line protocol modelled on a
//! router's CLI, with a latency per command, a session limit and faults, each keeping its
//! running configuration and a log of its sessions on tokio's clock. The kit's own crate,
//! never the student's.
//!
//! A session, as `nc` shows it:
//!
//! ```text
//! R1 (fake router): authorised access only
//! R1>enable
//! R1#configure terminal
//! Enter configuration commands, one per line.  End with CNTL/Z.
//! R1(config)#hostname edge-1
//! R1(config)#end
//! R1#show running-config
//! hostname edge-1
//! R1#exit
//! ```
//!
//! Every answer ends with the next prompt (no newline after it), and comes after the device's
//! latency; `exit` closes the session at once. A device with its sessions all taken answers
//! `% All lines busy` and closes. The same fleet serves any `AsyncRead + AsyncWrite`:
//! [`Fleet::connect`] gives an in-memory session (for tests on tokio's paused clock),
//! [`Fleet::listen`] real loopback TCP.

mod protocol;

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;

pub use protocol::{BUSY, INVALID};

/// How a device misbehaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Refuses every connection.
    Refuses,
    /// Never completes a connection, like an address nothing answers: the connector's future
    /// of [`Fleet::connector`] never resolves. ([`Fleet::connect`], which cannot wait, and TCP
    /// on loopback, which cannot hang, refuse it.)
    Unreachable,
    /// Accepts a connection and never says anything.
    Silent,
    /// Rejects this configuration line with `% Invalid input detected at '^' marker.`.
    Rejects(String),
    /// Drops the session after answering this many commands.
    DropsAfter(usize),
}

/// One device of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSpec {
    /// Its hostname, shown in its prompt (`R1>`).
    pub name: String,
    /// How long it takes to answer each command, and to greet.
    pub latency: Duration,
    /// How many sessions it serves at once; one more gets [`BUSY`] and is closed.
    pub session_limit: usize,
    /// How it misbehaves, if it does.
    pub fault: Option<Fault>,
}

impl DeviceSpec {
    /// A healthy device named `name` answering after `latency`, with 5 sessions.
    pub fn healthy(name: impl Into<String>, latency: Duration) -> Self {
        Self {
            name: name.into(),
            latency,
            session_limit: 5,
            fault: None,
        }
    }

    /// Whether connecting to it fails at once ([`Fault::Refuses`], and [`Fault::Unreachable`]
    /// where a connection cannot wait).
    fn refuses(&self) -> bool {
        matches!(self.fault, Some(Fault::Refuses | Fault::Unreachable))
    }

    /// `count` healthy devices `R1`, `R2`, ..., each with a latency between `min` and `max`
    /// drawn from `seed` (the same seed gives the same fleet).
    pub fn seeded(count: usize, seed: u64, min: Duration, max: Duration) -> Vec<Self> {
        let mut rng = StdRng::seed_from_u64(seed);
        (1..=count)
            .map(|n| {
                let latency = rng.random_range(min..=max);
                Self::healthy(format!("R{n}"), latency)
            })
            .collect()
    }
}

/// What happened on a device, and when (on tokio's clock, from the fleet's start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When, after the fleet started.
    pub at: Duration,
    /// The session, numbered from 1 on each device.
    pub session: usize,
    /// What happened.
    pub what: What,
}

/// What a device's log records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A session was opened.
    Opened,
    /// A session was refused: every line was busy.
    Busy,
    /// The device received this command.
    Command(String),
    /// A session was closed (by either side).
    Closed,
}

/// Why a connection to a device failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectError {
    /// The fleet has no device of that name.
    #[error("no device named {0}")]
    Unknown(String),
    /// The device refused the connection.
    #[error("{0} refused the connection")]
    Refused(String),
}

impl From<ConnectError> for io::Error {
    /// `Refused` as [`io::ErrorKind::ConnectionRefused`], `Unknown` as
    /// [`io::ErrorKind::NotFound`], as a TCP client would see them.
    fn from(error: ConnectError) -> Self {
        let kind = match error {
            ConnectError::Unknown(_) => io::ErrorKind::NotFound,
            ConnectError::Refused(_) => io::ErrorKind::ConnectionRefused,
        };
        io::Error::new(kind, error)
    }
}

/// A running fleet: its devices, their configurations and logs.
#[derive(Debug)]
pub struct Fleet {
    devices: BTreeMap<String, Arc<Device>>,
    order: Vec<String>,
    started: Instant,
    connections: Arc<Mutex<Connections>>,
    /// How many sessions the devices are serving: from the connection until the device's
    /// side of the session ends.
    serving: watch::Sender<usize>,
}

/// Connections open across the fleet, now and at most.
#[derive(Debug, Default)]
struct Connections {
    now: usize,
    peak: usize,
}

/// A stream that calls a function once, when it is dropped: the fleet counts an in-memory
/// session open until its client drops it ([`Link`]), and a client can count its own sessions
/// the same way.
pub struct OnDrop<S> {
    io: S,
    on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

/// How many bytes an in-memory session's pipe holds each way.
const PIPE_BYTES: usize = 8;

/// The client's end of an in-memory session: open, for the fleet's count, until dropped.
pub type Link = OnDrop<DuplexStream>;

/// A connection being made by [`Fleet::connector`].
pub type Connecting = Pin<Box<dyn Future<Output = io::Result<Link>> + Send>>;

impl<S> OnDrop<S> {
    /// `io`, which calls `on_drop` when it is dropped.
    pub fn new(io: S, on_drop: impl FnOnce() + Send + Sync + 'static) -> Self {
        Self {
            io,
            on_drop: Some(Box::new(on_drop)),
        }
    }
}

impl<S> Drop for OnDrop<S> {
    fn drop(&mut self) {
        if let Some(on_drop) = self.on_drop.take() {
            on_drop();
        }
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for OnDrop<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnDrop").field("io", &self.io).finish()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for OnDrop<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for OnDrop<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A device and what it keeps.
#[derive(Debug)]
struct Device {
    spec: DeviceSpec,
    state: Mutex<DeviceState>,
}

/// A device's running configuration, its log and its open sessions.
#[derive(Debug, Default)]
struct DeviceState {
    running_config: Vec<String>,
    log: Vec<Event>,
    sessions: usize,
    open: usize,
    peak: usize,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fleet {
    /// A fleet of `devices`, started now (on tokio's clock).
    pub fn new(devices: Vec<DeviceSpec>) -> Arc<Self> {
        let order = devices.iter().map(|spec| spec.name.clone()).collect();
        let devices = devices
            .into_iter()
            .map(|spec| {
                let device = Device {
                    spec,
                    state: Mutex::new(DeviceState::default()),
                };
                (device.spec.name.clone(), Arc::new(device))
            })
            .collect();
        Arc::new(Self {
            devices,
            order,
            started: Instant::now(),
            connections: Arc::default(),
            serving: watch::Sender::new(0),
        })
    }

    /// The devices' names, in the order they were given.
    pub fn names(&self) -> &[String] {
        &self.order
    }

    /// A session with `device` in memory: the client's end of a pipe the device serves,
    /// counted open from now until the client drops it.
    pub fn connect(self: &Arc<Self>, device: &str) -> Result<Link, ConnectError> {
        let served = self.accepting(device)?;
        let closed = self.open_connection();
        // A small pipe: a device's answer reaches the client in pieces, as TCP may deliver it,
        // so a client must read until the prompt, not read once per line.
        let (client, server) = tokio::io::duplex(PIPE_BYTES);
        self.spawn_session(served, server, || {});
        Ok(OnDrop::new(client, closed))
    }

    /// Counts one more connection open: the function returned counts it closed.
    fn open_connection(&self) -> impl FnOnce() + Send + Sync + 'static {
        let mut counts = locked(&self.connections);
        counts.now += 1;
        counts.peak = counts.peak.max(counts.now);
        let connections = Arc::clone(&self.connections);
        move || locked(&connections).now -= 1
    }

    /// What task 2.5 takes to reach a device: a function from its name to a future of an
    /// in-memory session ([`Fleet::connect`], its error an [`io::Error`] as TCP would give).
    /// Like a TCP connect, the future connects when it is first polled, not when it is made;
    /// for an [`Fault::Unreachable`] device it never resolves.
    pub fn connector(self: &Arc<Self>) -> impl Fn(String) -> Connecting + use<> {
        let fleet = Arc::clone(self);
        move |device| {
            let fleet = Arc::clone(&fleet);
            Box::pin(async move {
                let fault = fleet
                    .devices
                    .get(&device)
                    .and_then(|d| d.spec.fault.as_ref());
                if fault == Some(&Fault::Unreachable) {
                    std::future::pending::<()>().await;
                }
                fleet.connect(&device).map_err(io::Error::from)
            })
        }
    }

    /// Listens for each device on its own loopback port; returns each device's name and
    /// address, in order. A device that refuses connections gets an address nothing listens
    /// on. The fleet serves for as long as the runtime runs.
    pub async fn listen(self: &Arc<Self>) -> io::Result<Vec<(String, SocketAddr)>> {
        let mut addresses = Vec::with_capacity(self.order.len());
        for name in &self.order {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
            let address = listener.local_addr()?;
            if self.devices[name].spec.refuses() {
                drop(listener);
            } else {
                tokio::spawn(Arc::clone(self).accept_loop(name.clone(), listener));
            }
            addresses.push((name.clone(), address));
        }
        Ok(addresses)
    }

    /// Serves each connection `listener` accepts as a session with `device`, counted open
    /// until the session ends.
    async fn accept_loop(self: Arc<Self>, device: String, listener: TcpListener) {
        while let Ok((stream, _)) = listener.accept().await {
            // Each answer is written as it is ready: no waiting on Nagle's algorithm.
            let _ = stream.set_nodelay(true);
            if let Ok(served) = self.accepting(&device) {
                let closed = self.open_connection();
                self.spawn_session(served, stream, closed);
            }
        }
    }

    /// The device `name`, if it accepts connections.
    fn accepting(&self, name: &str) -> Result<Arc<Device>, ConnectError> {
        let device = self
            .devices
            .get(name)
            .ok_or_else(|| ConnectError::Unknown(name.to_owned()))?;
        if device.spec.refuses() {
            return Err(ConnectError::Refused(name.to_owned()));
        }
        Ok(Arc::clone(device))
    }

    /// Serves one session of `device` over `io` on a task of its own, counted in `serving`
    /// until it ends, and then calls `ended`.
    fn spawn_session<S>(
        self: &Arc<Self>,
        device: Arc<Device>,
        io: S,
        ended: impl FnOnce() + Send + 'static,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.serving.send_modify(|serving| *serving += 1);
        let fleet = Arc::clone(self);
        tokio::spawn(async move {
            Arc::clone(&fleet).serve(device, io).await;
            ended();
            fleet.serving.send_modify(|serving| *serving -= 1);
        });
    }

    /// Waits until the devices have finished serving every session opened so far: then each
    /// device's log holds what its clients did, up to their leaving. Sessions still open
    /// (their clients have not left) keep it waiting.
    pub async fn settled(&self) {
        let mut serving = self.serving.subscribe();
        // The sender lives as long as `self`, so the wait cannot fail.
        let _ = serving.wait_for(|&serving| serving == 0).await;
    }

    /// Serves one session of `device` over `io`: greets, answers, logs, and closes.
    async fn serve<S>(self: Arc<Self>, device: Arc<Device>, io: S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let session = self.open_session(&device);
        let Some(session) = session else {
            let _ = protocol::refuse_busy(io).await;
            return;
        };
        let effects = protocol::Effects {
            log: &|what| self.log(&device, session, what),
            apply: &|line| locked(&device.state).running_config.push(line.to_owned()),
            running_config: &|| locked(&device.state).running_config.clone(),
        };
        let _ = protocol::session(&device.spec, io, &effects).await;
        self.close_session(&device, session);
    }

    /// Opens a session of `device` if a line is free: its number, or `None` (logged busy).
    fn open_session(&self, device: &Device) -> Option<usize> {
        let mut state = locked(&device.state);
        state.sessions += 1;
        let session = state.sessions;
        let at = self.started.elapsed();
        if state.open >= device.spec.session_limit {
            state.log.push(Event {
                at,
                session,
                what: What::Busy,
            });
            return None;
        }
        state.open += 1;
        state.peak = state.peak.max(state.open);
        state.log.push(Event {
            at,
            session,
            what: What::Opened,
        });
        Some(session)
    }

    /// Closes `session` of `device`.
    fn close_session(&self, device: &Device, session: usize) {
        self.log(device, session, What::Closed);
        locked(&device.state).open -= 1;
    }

    /// Logs `what` for `session` of `device`, now.
    fn log(&self, device: &Device, session: usize, what: What) {
        let at = self.started.elapsed();
        locked(&device.state).log.push(Event { at, session, what });
    }

    /// The running configuration of `device`, one line each, in the order applied.
    pub fn running_config(&self, device: &str) -> Vec<String> {
        self.devices
            .get(device)
            .map(|device| locked(&device.state).running_config.clone())
            .unwrap_or_default()
    }

    /// The log of `device`.
    pub fn log_of(&self, device: &str) -> Vec<Event> {
        self.devices
            .get(device)
            .map(|device| locked(&device.state).log.clone())
            .unwrap_or_default()
    }

    /// The most sessions `device` ever had open at once.
    pub fn peak_sessions_of(&self, device: &str) -> usize {
        self.devices
            .get(device)
            .map_or(0, |device| locked(&device.state).peak)
    }

    /// The most connections open at once across the whole fleet: in memory, each from
    /// [`Fleet::connect`] until the client drops its [`Link`] (however its session went); over
    /// TCP, each from accept until its session ends.
    pub fn peak_connections(&self) -> usize {
        locked(&self.connections).peak
    }

    /// How many connections are open across the fleet right now (as [`Fleet::peak_connections`]
    /// counts them).
    pub fn open_connections(&self) -> usize {
        locked(&self.connections).now
    }
}
