//! The fleet's protocol, limits, faults and logs: in memory on tokio's paused clock (exact
//! virtual times), and once over real loopback TCP (no assertion on wall-clock time).

use std::time::Duration;

use fleet::{BUSY, ConnectError, DeviceSpec, Event, Fault, Fleet, INVALID, What};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const LATENCY: Duration = Duration::from_millis(10);

/// A client of one session: sends lines, reads up to a prompt.
struct Client<S> {
    io: S,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Everything the device says up to and including `prompt` (`None`: it closed first).
    async fn until(&mut self, prompt: &str) -> Option<String> {
        let mut said = Vec::new();
        let mut byte = [0u8; 1];
        while !said.ends_with(prompt.as_bytes()) {
            if self.io.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            said.push(byte[0]);
        }
        Some(String::from_utf8(said).expect("the device speaks UTF-8"))
    }

    /// Sends `command` and reads the answer up to `prompt`.
    async fn send(&mut self, command: &str, prompt: &str) -> Option<String> {
        self.io
            .write_all(format!("{command}\n").as_bytes())
            .await
            .ok()?;
        self.until(prompt).await
    }

    /// Everything the device says until it closes.
    async fn rest(&mut self) -> String {
        let mut said = String::new();
        let _ = self.io.read_to_string(&mut said).await;
        said
    }
}

fn at(ms: u64, session: usize, what: What) -> Event {
    Event {
        at: Duration::from_millis(ms),
        session,
        what,
    }
}

#[tokio::test(start_paused = true)]
async fn a_session_configures_the_device_and_shows_it() {
    let fleet = Fleet::new(vec![DeviceSpec::healthy("R1", LATENCY)]);
    let mut client = Client {
        io: fleet.connect("R1").unwrap(),
    };
    let banner = client.until("R1>").await.unwrap();
    assert_eq!(banner, "R1 (fake router): authorised access only\r\nR1>");
    assert_eq!(client.send("enable", "R1#").await.unwrap(), "R1#");
    let config = client
        .send("configure terminal", "R1(config)#")
        .await
        .unwrap();
    assert!(
        config.starts_with("Enter configuration commands"),
        "{config}"
    );
    for line in ["hostname edge-1", "ntp server 10.0.0.1"] {
        assert_eq!(client.send(line, "(config)#").await.unwrap(), "R1(config)#");
    }
    assert_eq!(client.send("end", "R1#").await.unwrap(), "R1#");
    let shown = client.send("show running-config", "R1#").await.unwrap();
    assert_eq!(shown, "hostname edge-1\r\nntp server 10.0.0.1\r\nR1#");
    client.io.write_all(b"exit\n").await.unwrap();
    assert_eq!(client.rest().await, "");

    assert_eq!(
        fleet.running_config("R1"),
        ["hostname edge-1", "ntp server 10.0.0.1"]
    );
    let command = |ms, text: &str| at(ms, 1, What::Command(text.to_owned()));
    assert_eq!(
        fleet.log_of("R1"),
        [
            at(0, 1, What::Opened),
            command(10, "enable"),
            command(20, "configure terminal"),
            command(30, "hostname edge-1"),
            command(40, "ntp server 10.0.0.1"),
            command(50, "end"),
            command(60, "show running-config"),
            command(70, "exit"),
            at(70, 1, What::Closed),
        ],
        "each answer comes one latency (10 ms) after its command, on tokio's clock; `exit` \
         closes at once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_session_over_the_limit_is_told_every_line_is_busy() {
    let fleet = Fleet::new(vec![DeviceSpec::healthy("R1", LATENCY)]);
    let mut open = Vec::new();
    for _ in 0..5 {
        let mut client = Client {
            io: fleet.connect("R1").unwrap(),
        };
        client.until("R1>").await.unwrap();
        open.push(client);
    }
    let mut sixth = Client {
        io: fleet.connect("R1").unwrap(),
    };
    assert_eq!(sixth.rest().await, format!("{BUSY}\r\n"));
    assert_eq!(fleet.peak_sessions_of("R1"), 5);
    assert_eq!(
        fleet.open_connections(),
        6,
        "the busy one is open until dropped"
    );
    drop(sixth);
    let opened = (0..5).map(|n| at(10 * n as u64, n + 1, What::Opened));
    assert_eq!(
        fleet.log_of("R1"),
        opened.chain([at(50, 6, What::Busy)]).collect::<Vec<_>>(),
        "each client connects once the one before is greeted, 10 ms later; the sixth is busy"
    );
    drop(open);
    assert_eq!(fleet.open_connections(), 0, "dropping a link closes it");
    assert_eq!(fleet.peak_connections(), 6);
    tokio::task::yield_now().await;
    let last = fleet.log_of("R1").pop().unwrap();
    assert_eq!(last.what, What::Closed, "the device sees each client leave");
}

#[tokio::test(start_paused = true)]
async fn faults_refuse_stay_silent_reject_and_drop() {
    let faulty = |name: &str, fault| DeviceSpec {
        fault: Some(fault),
        ..DeviceSpec::healthy(name, LATENCY)
    };
    let fleet = Fleet::new(vec![
        faulty("R1", Fault::Refuses),
        faulty("R2", Fault::Silent),
        faulty("R3", Fault::Rejects("bad line".to_owned())),
        faulty("R4", Fault::DropsAfter(1)),
    ]);
    assert_eq!(
        fleet.connect("R1").unwrap_err(),
        ConnectError::Refused("R1".to_owned())
    );
    assert_eq!(
        fleet.connect("R9").unwrap_err(),
        ConnectError::Unknown("R9".to_owned())
    );

    let mut silent = Client {
        io: fleet.connect("R2").unwrap(),
    };
    let waited = tokio::time::timeout(Duration::from_secs(120), silent.until("R2>")).await;
    assert!(waited.is_err(), "a silent device never greets");

    let mut rejecting = Client {
        io: fleet.connect("R3").unwrap(),
    };
    rejecting.until("R3>").await.unwrap();
    rejecting.send("enable", "R3#").await.unwrap();
    rejecting.send("configure terminal", "#").await.unwrap();
    let answer = rejecting.send("bad line", "#").await.unwrap();
    assert_eq!(answer, format!("{INVALID}\r\nR3(config)#"));
    rejecting.send("good line", "#").await.unwrap();
    assert_eq!(fleet.running_config("R3"), ["good line"]);

    let mut dropping = Client {
        io: fleet.connect("R4").unwrap(),
    };
    dropping.until("R4>").await.unwrap();
    dropping.send("enable", "R4#").await.unwrap();
    assert_eq!(dropping.send("configure terminal", "#").await, None);
    assert_eq!(fleet.log_of("R4").last().unwrap().what, What::Closed);
}

#[tokio::test]
async fn the_fleet_serves_over_loopback_tcp() {
    let fleet = Fleet::new(DeviceSpec::seeded(
        3,
        7,
        Duration::from_millis(1),
        Duration::from_millis(3),
    ));
    let addresses = fleet.listen().await.unwrap();
    assert_eq!(addresses.len(), 3);
    for (name, address) in &addresses {
        assert!(address.ip().is_loopback(), "{name} listens on {address}");
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut client = Client { io: stream };
        client.until(&format!("{name}>")).await.unwrap();
        client.send("enable", "#").await.unwrap();
        client.send("configure terminal", "#").await.unwrap();
        client
            .send(&format!("hostname {name}-edge"), "#")
            .await
            .unwrap();
        client.send("end", "#").await.unwrap();
        client.io.write_all(b"exit\n").await.unwrap();
        assert_eq!(client.rest().await, "");
        assert_eq!(
            fleet.running_config(name),
            [format!("hostname {name}-edge")]
        );
    }
}
