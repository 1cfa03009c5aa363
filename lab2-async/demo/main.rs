//! Demo of Lab 2, as the seed runs it, with real timings: `sequential` (2.1), `concurrent`
//! (2.2), `configure` (2.3), all three by default; `fleet` (2.5), which configures a fleet of
//! fake routers over TCP on 127.0.0.1; and `compare`, which measures one fake device workload
//! done sequentially, with one OS thread per device, and with async tasks, first as sleeps,
//! then over TCP.
//!
//! This file is the grader's: the grader always uses its own copy, so edits here are never
//! graded (change it freely to experiment).

mod fleet_demo;

use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use lab2_async::{
    concurrent_fetches, configure_all, devices_to_configure, fetch_concurrently,
    fetch_sequentially, sequential_fetches,
};

/// Lab 2: async network fetches and device configuration with tokio.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    demo: Option<Demo>,
}

#[derive(Subcommand)]
enum Demo {
    /// Task 2.1: two fetches awaited one after the other (about 5 s).
    Sequential,
    /// Task 2.2: three fetches run at once (about 4 s).
    Concurrent,
    /// Task 2.3: four devices configured at once (the slowest of four 1-3 s draws).
    Configure,
    /// Task 2.5: configures a fleet of fake routers over TCP on 127.0.0.1 with your
    /// `configure_fleet`.
    Fleet {
        /// How many devices.
        #[arg(long, default_value_t = 200)]
        devices: usize,
        /// How many sessions may be open at once.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
        limit: u64,
        /// Each router's timeout, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
        /// Make one device in ten misbehave: silent, refusing, rejecting a line, dropping.
        #[arg(long)]
        faults: bool,
    },
    /// Sequential, threaded and async approaches to one workload, timed: sleeps, then TCP
    /// sessions with fake routers (the async TCP column runs your `configure_fleet`).
    Compare {
        /// How long each fake device takes to answer, in milliseconds.
        #[arg(long, default_value_t = 200)]
        delay_ms: u64,
        /// The device counts to try.
        #[arg(long, value_delimiter = ',', default_values_t = [4, 100, 10_000])]
        devices: Vec<usize>,
        /// Skip the sequential approach when it would take longer than this, in seconds.
        #[arg(long, default_value_t = 30)]
        sequential_limit: u64,
        /// The device counts of the TCP table (none: no TCP table).
        #[arg(long, value_delimiter = ',', default_values_t = [10, 100, 1000])]
        tcp_devices: Vec<usize>,
        /// How long each fake router takes to answer a line over TCP, in milliseconds.
        #[arg(long, default_value_t = 10)]
        latency_ms: u64,
    },
}

/// The lab's README, relative to the workspace: its task and its hints.
const README: &str = "lab2-async/README.md";

fn main() {
    labkit::todo_stop::stop_at_todo(README);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the tokio runtime");
    match Cli::parse().demo {
        Some(Demo::Sequential) => runtime.block_on(sequential()),
        Some(Demo::Concurrent) => runtime.block_on(concurrent()),
        Some(Demo::Configure) => runtime.block_on(configure()),
        Some(Demo::Fleet {
            devices,
            limit,
            timeout_ms,
            faults,
        }) => fleet_demo::fleet(
            &runtime,
            &fleet_demo::FleetDemo {
                devices,
                limit: usize::try_from(limit).unwrap_or(usize::MAX),
                timeout: Duration::from_millis(timeout_ms),
                faults,
            },
        ),
        Some(Demo::Compare {
            delay_ms,
            devices,
            sequential_limit,
            tcp_devices,
            latency_ms,
        }) => {
            let sequential_limit = Duration::from_secs(sequential_limit);
            compare(Duration::from_millis(delay_ms), &devices, sequential_limit);
            if !tcp_devices.is_empty() {
                let latency = Duration::from_millis(latency_ms);
                fleet_demo::compare_tcp(&runtime, &tcp_devices, latency, sequential_limit);
            }
        }
        None => runtime.block_on(async {
            sequential().await;
            concurrent().await;
            configure().await;
        }),
    }
}

/// The seed's `main_sequential`.
async fn sequential() {
    println!("--- Running Network Fetches Sequentially (Blocking Simulation) ---");
    let start = Instant::now();
    let results = fetch_sequentially(sequential_fetches()).await;
    println!("\nSequential results: {}", results.join(", "));
    println!(
        "Total sequential time: {:.2} seconds",
        start.elapsed().as_secs_f64()
    );
}

/// The seed's `main_concurrent`.
async fn concurrent() {
    println!("\n--- Running Network Fetches Concurrently (Non-Blocking Simulation) ---");
    let start = Instant::now();
    let results = fetch_concurrently(concurrent_fetches()).await;
    println!("\nConcurrent results: {}", python_list(&results));
    println!(
        "Total concurrent time: {:.2} seconds",
        start.elapsed().as_secs_f64()
    );
}

/// The seed's `main_config_automation`.
async fn configure() {
    println!("\n--- Concurrent Device Configuration Automation ---");
    let start = Instant::now();
    let results = configure_all(devices_to_configure(), &mut rand::rng()).await;
    println!("\nAll device configurations completed:");
    for result in &results {
        println!("- {result}");
    }
    println!(
        "Total configuration time: {:.2} seconds",
        start.elapsed().as_secs_f64()
    );
}

/// `items` as Python prints a list of strings: `['a', 'b']`.
fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("'{item}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// One approach's measurement: how long the workload took and how many threads did it.
struct Measurement {
    elapsed: Duration,
    threads: usize,
}

/// Times `devices` fake devices, each answering after `delay`, handled three ways, and prints
/// a table; the sequential approach is skipped where it would exceed `sequential_limit`.
fn compare(delay: Duration, devices: &[usize], sequential_limit: Duration) {
    println!(
        "--- {} fake devices, each answering after {} ms ---\n",
        devices
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" / "),
        delay.as_millis()
    );
    println!(
        "{:>8} | {:>22} | {:>22} | {:>22}",
        "devices", "sequential (blocking)", "one thread per device", "async tasks"
    );
    println!("{}", "-".repeat(8 + 3 * 25 + 3));
    for &count in devices {
        let sequential_estimate = delay * u32::try_from(count).unwrap_or(u32::MAX);
        let sequential = if sequential_estimate <= sequential_limit {
            cell(&measure_sequential(count, delay))
        } else {
            format!("skipped (~{:.0} s)", sequential_estimate.as_secs_f64())
        };
        println!(
            "{count:>8} | {sequential:>22} | {:>22} | {:>22}",
            cell(&measure_threads(count, delay)),
            cell(&measure_async(count, delay)),
        );
    }
    println!(
        "\nSequential time grows with every device; one thread per device keeps up but pays \
         for a thread (stack, start-up, scheduling) per device; async tasks wait on one thread \
         at the cost of a few hundred bytes each, so ten thousand waits take about as long as one."
    );
}

/// A table cell: elapsed seconds and threads used.
fn cell(measurement: &Measurement) -> String {
    format!(
        "{:.2} s, {} thr",
        measurement.elapsed.as_secs_f64(),
        measurement.threads
    )
}

/// One thread, each device waited for in turn.
fn measure_sequential(count: usize, delay: Duration) -> Measurement {
    let start = Instant::now();
    for _ in 0..count {
        thread::sleep(delay);
    }
    Measurement {
        elapsed: start.elapsed(),
        threads: 1,
    }
}

/// One OS thread per device (small stacks, so ten thousand fit), joined by the main thread.
fn measure_threads(count: usize, delay: Duration) -> Measurement {
    let start = Instant::now();
    let handles: Vec<_> = (0..count)
        .map(|_| {
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || thread::sleep(delay))
                .expect("cannot spawn a device thread")
        })
        .collect();
    for handle in handles {
        handle.join().expect("a device thread panicked");
    }
    Measurement {
        elapsed: start.elapsed(),
        threads: count + 1,
    }
}

/// One tokio task per device, all on a single-threaded runtime.
fn measure_async(count: usize, delay: Duration) -> Measurement {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("cannot start the tokio runtime");
    let start = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..count)
            .map(|_| tokio::spawn(tokio::time::sleep(delay)))
            .collect();
        for task in tasks {
            task.await.expect("a device task panicked");
        }
    });
    Measurement {
        elapsed: start.elapsed(),
        threads: 1,
    }
}
