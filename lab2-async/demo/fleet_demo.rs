//! The demos of task 2.5, over real TCP on 127.0.0.1 against a fleet of fake routers this
//! process starts itself (`support/fleet`): `fleet` configures it with your
//! `configure_fleet`, with a progress bar and a summary; `compare`'s TCP table configures 10,
//! 100 and 1000 devices one after another, with one thread per device (blocking `std::net`),
//! and with your `configure_fleet`, and shows the time, threads and memory each took.
//!
//! This file is the grader's: the grader always uses its own copy, so edits here are never
//! graded (change it freely to experiment).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use fleet::{DeviceSpec, Fault, Fleet, OnDrop};
use indicatif::{ProgressBar, ProgressStyle};
use lab2_async::{Router, RouterError, configure_fleet};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

/// What `fleet` configures, and how.
pub struct FleetDemo {
    /// How many devices the fleet has.
    pub devices: usize,
    /// How many sessions may be open at once.
    pub limit: usize,
    /// Each router's timeout.
    pub timeout: Duration,
    /// Whether some devices misbehave (one in ten: silent, refusing, rejecting, dropping).
    pub faults: bool,
}

/// The configuration lines of router `name`.
fn router(name: &str) -> Router {
    Router::new(
        name,
        &[
            &format!("hostname {name}-edge"),
            "interface Loopback0",
            "ntp server 10.0.0.1",
        ],
    )
}

/// `count` devices `R1`, `R2`, ... answering after 5 to 50 ms (seeded); with `faults`, one in
/// ten misbehaves, each fault in turn.
fn specs(count: usize, faults: bool) -> Vec<DeviceSpec> {
    let mut specs = DeviceSpec::seeded(
        count,
        2025,
        Duration::from_millis(5),
        Duration::from_millis(50),
    );
    if faults {
        let kinds = [
            Fault::Silent,
            Fault::Refuses,
            Fault::Rejects("ntp server 10.0.0.1".to_owned()),
            Fault::DropsAfter(3),
        ];
        for (i, spec) in specs.iter_mut().enumerate().skip(6).step_by(10) {
            spec.fault = Some(kinds[(i / 10) % kinds.len()].clone());
        }
    }
    specs
}

/// Lets this process open `sockets` more files than it has open now, if the system allows it:
/// each device listens on its own port, so a thousand of them need more than the usual 1024
/// of Linux and macOS.
#[cfg(unix)]
fn raise_open_file_limit(sockets: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let wanted = (sockets + 256).min(hard);
        if wanted > soft {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, wanted, hard);
        }
    }
}

/// Windows has no per-process limit on open sockets to raise.
#[cfg(not(unix))]
fn raise_open_file_limit(_sockets: u64) {}

/// Starts `specs` on loopback on `runtime`: the fleet and each device's address.
fn start(
    runtime: &Runtime,
    specs: Vec<DeviceSpec>,
) -> (Arc<Fleet>, Arc<BTreeMap<String, SocketAddr>>) {
    raise_open_file_limit(3 * specs.len() as u64);
    runtime.block_on(async {
        let fleet = Fleet::new(specs);
        let addresses = fleet
            .listen()
            .await
            .unwrap_or_else(|error| panic!("cannot listen on 127.0.0.1: {error}"));
        (fleet, Arc::new(addresses.into_iter().collect()))
    })
}

/// Sockets your code holds open: now, and at most.
#[derive(Default)]
struct OpenSockets {
    now: AtomicU64,
    peak: AtomicU64,
}

/// `io`, counted in `open` until it is dropped, when it moves `progress` on: its router is
/// done.
fn tracked(io: TcpStream, progress: ProgressBar, open: Arc<OpenSockets>) -> OnDrop<TcpStream> {
    let now = open.now.fetch_add(1, Ordering::SeqCst) + 1;
    open.peak.fetch_max(now, Ordering::SeqCst);
    OnDrop::new(io, move || {
        open.now.fetch_sub(1, Ordering::SeqCst);
        progress.inc(1);
    })
}

/// `cargo run -p lab2-async -- fleet`: starts a fleet on loopback and configures it with your
/// `configure_fleet`, showing progress, then a summary of the outcomes.
pub fn fleet(runtime: &Runtime, demo: &FleetDemo) {
    let (fleet, addresses) = start(runtime, specs(demo.devices, demo.faults));
    println!(
        "--- Configuring {} fake routers on 127.0.0.1, at most {} at once, {:.1} s each ---",
        demo.devices,
        demo.limit,
        demo.timeout.as_secs_f64()
    );
    let progress = ProgressBar::new(demo.devices as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} routers done, {elapsed_precise}")
            .expect("a valid progress template"),
    );
    let routers: Vec<Router> = fleet.names().iter().map(|name| router(name)).collect();
    let open = Arc::new(OpenSockets::default());
    let connect = |name: String| {
        let address = addresses[&name];
        let (progress, open) = (progress.clone(), Arc::clone(&open));
        async move {
            match TcpStream::connect(address).await {
                Ok(io) => {
                    let _ = io.set_nodelay(true);
                    Ok(tracked(io, progress, open))
                }
                Err(error) => {
                    progress.inc(1);
                    Err(error)
                }
            }
        }
    };
    let memory = Memory::sample();
    let start = Instant::now();
    let results = runtime.block_on(configure_fleet(routers, demo.limit, demo.timeout, connect));
    let elapsed = start.elapsed();
    let peak_rss = memory.peak();
    progress.finish();
    summarise(&results);
    println!(
        "\nTotal time: {:.2} s; at most {} sessions open at once; peak memory {}; {} threads \
         in this process (the fleet's and yours).",
        elapsed.as_secs_f64(),
        open.peak.load(Ordering::SeqCst),
        peak_rss.map_or_else(|| "unknown".to_owned(), megabytes),
        threads().map_or_else(|| "?".to_owned(), |n| n.to_string()),
    );
}

/// Prints how many routers ended each way, and each error.
fn summarise(results: &[Result<Vec<String>, RouterError>]) {
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for result in results {
        let outcome = match result {
            Ok(_) => "configured",
            Err(RouterError::Refused { .. }) => "refused",
            Err(RouterError::Busy { .. }) => "all lines busy",
            Err(RouterError::Rejected { .. }) => "rejected a line",
            Err(RouterError::Dropped { .. }) => "dropped the session",
            Err(RouterError::TimedOut { .. }) => "timed out",
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    println!("\n{:<20} | {:>7}", "outcome", "routers");
    println!("{}", "-".repeat(30));
    for (outcome, count) in &outcomes {
        println!("{outcome:<20} | {count:>7}");
    }
    let errors: Vec<&RouterError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    for error in errors.iter().take(8) {
        println!("  {error}");
    }
    if errors.len() > 8 {
        println!("  ... and {} more", errors.len() - 8);
    }
}

/// One approach's measurement over TCP: time, client threads, and memory growth at its peak.
struct Measured {
    elapsed: Duration,
    threads: usize,
    peak_growth: Option<u64>,
    configured: usize,
}

/// `compare`'s TCP table: `counts` devices answering after `latency` each, configured one after
/// another, with a thread per device, and with your `configure_fleet` (no limit); one after
/// another is skipped where it would take longer than `sequential_limit`.
pub fn compare_tcp(
    runtime: &Runtime,
    counts: &[usize],
    latency: Duration,
    sequential_limit: Duration,
) {
    println!(
        "\n--- Over TCP on 127.0.0.1: fake routers answering after {} ms, 3 lines each ---\n",
        latency.as_millis()
    );
    println!(
        "{:>8} | {:>26} | {:>26} | {:>26}",
        "devices", "one after another", "one thread per device", "async (configure_fleet)"
    );
    println!("{}", "-".repeat(8 + 3 * 29 + 3));
    for &count in counts {
        let specs: Vec<DeviceSpec> = (1..=count)
            .map(|n| DeviceSpec::healthy(format!("R{n}"), latency))
            .collect();
        let (fleet, addresses) = start(runtime, specs);
        let routers: Vec<Router> = fleet.names().iter().map(|name| router(name)).collect();
        let session = latency * 8;
        let estimate = session * u32::try_from(count).unwrap_or(u32::MAX);
        // Async first: memory the allocator keeps after a run would flatter whatever comes next.
        let tasks = tcp_cell(&measure(|| async_tasks(&routers, &addresses)));
        let threads = tcp_cell(&measure(|| blocking_thread_each(&routers, &addresses)));
        let sequential = if estimate <= sequential_limit {
            tcp_cell(&measure(|| {
                blocking_one_after_another(&routers, &addresses)
            }))
        } else {
            format!("skipped (~{:.0} s)", estimate.as_secs_f64())
        };
        println!("{count:>8} | {sequential:>26} | {threads:>26} | {tasks:>26}");
    }
    println!(
        "\nEach cell: time, client threads, and how much the process's resident memory grew at \
         its peak (the fleet's sessions included). A session is 8 round trips: one after \
         another pays every one of them; a thread per device pays for a thread each."
    );
}

/// A TCP table cell.
fn tcp_cell(measured: &Measured) -> String {
    format!(
        "{:.2} s, {} thr, {}{}",
        measured.elapsed.as_secs_f64(),
        measured.threads,
        measured.peak_growth.map_or_else(
            || "?".to_owned(),
            |growth| format!("+{}", megabytes(growth))
        ),
        if measured.configured == 0 {
            " (none!)"
        } else {
            ""
        }
    )
}

/// Times `run`, which returns how many routers it configured and with how many threads, and
/// samples the process's memory meanwhile.
fn measure(run: impl FnOnce() -> (usize, usize)) -> Measured {
    let memory = Memory::sample();
    let start = Instant::now();
    let (configured, threads) = run();
    Measured {
        elapsed: start.elapsed(),
        threads,
        peak_growth: memory.peak_growth(),
        configured,
    }
}

/// Every router in turn, on this thread, with blocking sockets.
fn blocking_one_after_another(
    routers: &[Router],
    addresses: &BTreeMap<String, SocketAddr>,
) -> (usize, usize) {
    let configured = routers
        .iter()
        .filter(|router| configure_blocking(router, addresses[&router.name]).is_ok())
        .count();
    (configured, 1)
}

/// One OS thread per router, with blocking sockets.
fn blocking_thread_each(
    routers: &[Router],
    addresses: &BTreeMap<String, SocketAddr>,
) -> (usize, usize) {
    let configured = thread::scope(|scope| {
        let handles: Vec<_> = routers
            .iter()
            .map(|router| {
                let address = addresses[&router.name];
                thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn_scoped(scope, move || configure_blocking(router, address).is_ok())
                    .expect("cannot spawn a router thread")
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join())
            .filter(|configured| matches!(configured, Ok(true)))
            .count()
    });
    (configured, routers.len() + 1)
}

/// Your `configure_fleet`, every router at once, on a runtime of one thread.
fn async_tasks(routers: &[Router], addresses: &BTreeMap<String, SocketAddr>) -> (usize, usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("cannot start the tokio runtime");
    let connect = |name: String| {
        let address = addresses[&name];
        async move {
            let io = TcpStream::connect(address).await?;
            io.set_nodelay(true)?;
            Ok(io)
        }
    };
    let limit = routers.len().max(1);
    let results = runtime.block_on(configure_fleet(
        routers.to_vec(),
        limit,
        Duration::from_secs(60),
        connect,
    ));
    (results.iter().filter(|result| result.is_ok()).count(), 1)
}

/// One router's session with blocking `std::net`: the same dialogue as task 2.5's.
fn configure_blocking(router: &Router, address: SocketAddr) -> io::Result<Vec<String>> {
    let name = &router.name;
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let (privileged, config) = (format!("{name}#"), format!("{name}(config)#"));
    read_to(&mut stream, &format!("{name}>"))?;
    let mut dialogue = vec![("enable", &privileged), ("configure terminal", &config)];
    dialogue.extend(router.commands.iter().map(|line| (line.as_str(), &config)));
    dialogue.push(("end", &privileged));
    for (line, prompt) in dialogue {
        writeln!(stream, "{line}")?;
        read_to(&mut stream, prompt)?;
    }
    writeln!(stream, "show running-config")?;
    let shown = read_to(&mut stream, &privileged)?;
    writeln!(stream, "exit")?;
    Ok(shown
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

/// What the device says up to `prompt`, without it.
fn read_to(stream: &mut std::net::TcpStream, prompt: &str) -> io::Result<String> {
    let mut said = Vec::new();
    let mut chunk = [0u8; 1024];
    while !said.ends_with(prompt.as_bytes()) {
        match stream.read(&mut chunk)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            read => said.extend_from_slice(&chunk[..read]),
        }
    }
    said.truncate(said.len() - prompt.len());
    Ok(String::from_utf8_lossy(&said).into_owned())
}

/// The process's resident memory, sampled every 2 ms on a thread of its own until `peak`.
struct Memory {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    at_start: Option<u64>,
    sampler: thread::JoinHandle<()>,
}

impl Memory {
    fn sample() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let sampler = {
            let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(rss) = status_field("VmRSS:") {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    thread::sleep(Duration::from_millis(2));
                }
            })
        };
        Self {
            stop,
            peak,
            at_start: status_field("VmRSS:"),
            sampler,
        }
    }

    /// The most resident memory seen, in bytes (`None` where `/proc` is not there).
    fn peak(self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.sampler.join();
        Some(self.peak.load(Ordering::Relaxed)).filter(|&peak| peak > 0)
    }

    /// How much the resident memory grew, at its peak, over what it was at the start.
    fn peak_growth(self) -> Option<u64> {
        let at_start = self.at_start?;
        Some(self.peak()?.saturating_sub(at_start))
    }
}

/// How many threads this process has (Linux).
fn threads() -> Option<u64> {
    status_field("Threads:")
}

/// A number from `/proc/self/status` (Linux); sizes there are in kB, returned in bytes.
fn status_field(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let mut words = line[field.len()..].split_whitespace();
    let number: u64 = words.next()?.parse().ok()?;
    Some(if words.next() == Some("kB") {
        number * 1024
    } else {
        number
    })
}

/// `bytes` in MB, one decimal.
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
