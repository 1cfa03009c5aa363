//! `cargo run -p fleet -- --devices 50`: starts a fleet of fake routers on loopback and prints
//! each device's address, so that `nc 127.0.0.1 PORT` (or your own code) can talk to it.
//! It serves until stopped with Ctrl-C.

use std::time::Duration;

use clap::Parser;
use fleet::{DeviceSpec, Fleet};

/// Starts a fleet of fake routers on 127.0.0.1, one port per device.
#[derive(Debug, Parser)]
struct Args {
    /// How many devices.
    #[arg(long, default_value_t = 5)]
    devices: usize,
    /// The seed of the devices' latencies (the same seed, the same fleet).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The shortest latency of a command, in milliseconds.
    #[arg(long, default_value_t = 50)]
    min_ms: u64,
    /// The longest latency of a command, in milliseconds.
    #[arg(long, default_value_t = 200)]
    max_ms: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    if args.min_ms > args.max_ms {
        eprintln!("fleet: --min-ms must not be above --max-ms");
        std::process::exit(2);
    }
    let specs = DeviceSpec::seeded(
        args.devices,
        args.seed,
        Duration::from_millis(args.min_ms),
        Duration::from_millis(args.max_ms),
    );
    let latencies: Vec<Duration> = specs.iter().map(|spec| spec.latency).collect();
    let fleet = Fleet::new(specs);
    let addresses = fleet.listen().await?;
    for ((name, address), latency) in addresses.iter().zip(latencies) {
        println!(
            "{name:<6} {address}  ({} ms per command)",
            latency.as_millis()
        );
    }
    println!("serving {} devices; Ctrl-C stops", addresses.len());
    std::future::pending::<()>().await;
    Ok(())
}
