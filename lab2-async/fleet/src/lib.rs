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
//! latency. A device with its sessions all taken answers `% All lines busy` and closes. The
//! same fleet serves any `AsyncRead + AsyncWrite`: [`Fleet::connect`] gives an in-memory
//! session (for tests on tokio's paused clock), [`Fleet::listen`] real loopback TCP.

mod protocol;

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::net::TcpListener;
use tokio::time::Instant;

pub use protocol::{BUSY, INVALID};

/// How a device misbehaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Refuses every connection.
    Refuses,
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

/// A running fleet: its devices, their configurations and logs.
#[derive(Debug)]
pub struct Fleet {
    devices: BTreeMap<String, Arc<Device>>,
    order: Vec<String>,
    started: Instant,
    open: Mutex<Sessions>,
}

/// Sessions open across the fleet, now and at most.
#[derive(Debug, Default)]
struct Sessions {
    now: usize,
    peak: usize,
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
            open: Mutex::new(Sessions::default()),
        })
    }

    /// The devices' names, in the order they were given.
    pub fn names(&self) -> &[String] {
        &self.order
    }

    /// A session with `device` in memory: the client's end of a pipe the device serves.
    pub fn connect(self: &Arc<Self>, device: &str) -> Result<DuplexStream, ConnectError> {
        let served = self.accepting(device)?;
        let (client, server) = tokio::io::duplex(4096);
        tokio::spawn(Arc::clone(self).serve(served, server));
        Ok(client)
    }

    /// Listens for each device on its own loopback port; returns each device's name and
    /// address, in order. A device that refuses connections gets an address nothing listens
    /// on. The fleet serves for as long as the runtime runs.
    pub async fn listen(self: &Arc<Self>) -> io::Result<Vec<(String, SocketAddr)>> {
        let mut addresses = Vec::with_capacity(self.order.len());
        for name in &self.order {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
            let address = listener.local_addr()?;
            if self.devices[name].spec.fault == Some(Fault::Refuses) {
                drop(listener);
            } else {
                tokio::spawn(Arc::clone(self).accept_loop(name.clone(), listener));
            }
            addresses.push((name.clone(), address));
        }
        Ok(addresses)
    }

    /// Serves each connection `listener` accepts as a session with `device`.
    async fn accept_loop(self: Arc<Self>, device: String, listener: TcpListener) {
        while let Ok((stream, _)) = listener.accept().await {
            if let Ok(served) = self.accepting(&device) {
                tokio::spawn(Arc::clone(&self).serve(served, stream));
            }
        }
    }

    /// The device `name`, if it accepts connections.
    fn accepting(&self, name: &str) -> Result<Arc<Device>, ConnectError> {
        let device = self
            .devices
            .get(name)
            .ok_or_else(|| ConnectError::Unknown(name.to_owned()))?;
        if device.spec.fault == Some(Fault::Refuses) {
            return Err(ConnectError::Refused(name.to_owned()));
        }
        Ok(Arc::clone(device))
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
        let mut open = locked(&self.open);
        open.now += 1;
        open.peak = open.peak.max(open.now);
        Some(session)
    }

    /// Closes `session` of `device`.
    fn close_session(&self, device: &Device, session: usize) {
        self.log(device, session, What::Closed);
        locked(&device.state).open -= 1;
        locked(&self.open).now -= 1;
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

    /// The most sessions open at once across the whole fleet.
    pub fn peak_sessions(&self) -> usize {
        locked(&self.open).peak
    }

    /// How many sessions are open across the fleet right now.
    pub fn open_sessions(&self) -> usize {
        locked(&self.open).now
    }
}
