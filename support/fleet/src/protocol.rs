//! One session of the line protocol: the banner, the three modes (user `R1>`, privileged
//! `R1#`, configuration `R1(config)#`) and their commands, with the device's latency before
//! every answer and its faults.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use crate::{DeviceSpec, Fault, What};

/// What a device answers a session over its limit, before it closes it.
pub const BUSY: &str = "% All lines busy";

/// What a device answers a command it does not take.
pub const INVALID: &str = "% Invalid input detected at '^' marker.";

/// The mode a session is in, which its prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    User,
    Privileged,
    Config,
}

/// The prompt of `name` in `mode`.
fn prompt(name: &str, mode: Mode) -> String {
    match mode {
        Mode::User => format!("{name}>"),
        Mode::Privileged => format!("{name}#"),
        Mode::Config => format!("{name}(config)#"),
    }
}

/// Tells a session over the limit that every line is busy, and closes it.
pub(crate) async fn refuse_busy<S>(mut io: S) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    io.write_all(format!("{BUSY}\r\n").as_bytes()).await?;
    io.shutdown().await
}

/// What a session does to the device that serves it.
pub(crate) struct Effects<'a> {
    /// Logs what happened in the session.
    pub log: &'a (dyn Fn(What) + Sync),
    /// Applies a configuration line.
    pub apply: &'a (dyn Fn(&str) + Sync),
    /// The running configuration.
    pub running_config: &'a (dyn Fn() -> Vec<String> + Sync),
}

/// Serves one session of `device` over `io`, with its `effects` on the device, until the
/// client exits or leaves (or the device's fault ends it).
pub(crate) async fn session<S>(device: &DeviceSpec, io: S, effects: &Effects<'_>) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if device.fault == Some(Fault::Silent) {
        // Accepts, then never answers: reads until the client gives up.
        let mut lines = BufReader::new(io).lines();
        while lines.next_line().await?.is_some() {}
        return Ok(());
    }
    let (reader, mut writer) = tokio::io::split(io);
    let mut lines = BufReader::new(reader).lines();
    let name = device.name.as_str();
    let mut mode = Mode::User;
    tokio::time::sleep(device.latency).await;
    let banner = format!("{name} (fake router): authorised access only\r\n");
    writer.write_all(banner.as_bytes()).await?;
    writer.write_all(prompt(name, mode).as_bytes()).await?;
    let mut answered = 0;
    while let Some(line) = lines.next_line().await? {
        let command = line.trim_end_matches('\r').trim();
        (effects.log)(What::Command(command.to_owned()));
        if command == "exit" && mode != Mode::Config {
            // Logging out takes no time: the line is free the moment the client leaves.
            return writer.shutdown().await;
        }
        tokio::time::sleep(device.latency).await;
        if device.fault == Some(Fault::DropsAfter(answered)) {
            return Ok(());
        }
        answered += 1;
        let (answer, next) = answer(device, mode, command, effects);
        mode = next;
        writer.write_all(answer.as_bytes()).await?;
        writer.write_all(prompt(name, mode).as_bytes()).await?;
    }
    Ok(())
}

/// What `device` answers `command` in `mode` (lines ending in `\r\n`, before the prompt), and
/// the mode after it.
fn answer(device: &DeviceSpec, mode: Mode, command: &str, effects: &Effects<'_>) -> (String, Mode) {
    let invalid = (format!("{INVALID}\r\n"), mode);
    match (mode, command) {
        (_, "") => (String::new(), mode),
        (Mode::User, "enable") => (String::new(), Mode::Privileged),
        (Mode::Privileged, "configure terminal") => (
            "Enter configuration commands, one per line.  End with CNTL/Z.\r\n".to_owned(),
            Mode::Config,
        ),
        (Mode::Privileged, "show running-config") => {
            let lines: String = (effects.running_config)()
                .iter()
                .map(|line| format!("{line}\r\n"))
                .collect();
            (lines, mode)
        }
        (Mode::Config, "end") => (String::new(), Mode::Privileged),
        (Mode::Config, line) => {
            if device.fault == Some(Fault::Rejects(line.to_owned())) {
                invalid
            } else {
                (effects.apply)(line);
                (String::new(), mode)
            }
        }
        _ => invalid,
    }
}
