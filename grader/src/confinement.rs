//! Below the stages: the confinement of every process the grader starts, cargo's builds
//! (stage 2, [`compile`](crate::compile)) and each test (stage 3, [`execute`](crate::execute)):
//! a process group of its own, an address-space limit, no core dumps, and a watchdog that
//! kills the group when it outlives its timeout.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use nix::sys::resource::{Resource, setrlimit};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Makes `command` start in a process group of its own (so that it and everything it starts
/// can be killed together with [`kill_process_group`]), with at most `memory_bytes` of
/// address space and no core dumps.
pub fn confine(command: &mut Command, memory_bytes: u64) {
    command.process_group(0);
    // SAFETY: only async-signal-safe system calls run between fork and exec.
    unsafe {
        command.pre_exec(move || {
            setrlimit(Resource::RLIMIT_AS, memory_bytes, memory_bytes)?;
            setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
            Ok(())
        });
    }
}

/// Kills the process group whose leader has the process id `leader` (a child started with
/// [`confine`]): whatever is left of it.
pub fn kill_process_group(leader: u32) {
    let _ = killpg(Pid::from_raw(leader as i32), Signal::SIGKILL);
}

/// Kills a process group (a child started in a group of its own, as [`confine`] does) if it
/// outlives its timeout.
#[derive(Debug)]
pub struct Watchdog {
    done: mpsc::Sender<()>,
    killer: thread::JoinHandle<bool>,
}

impl Watchdog {
    /// Watches `child`, the leader of its process group, for `timeout`.
    pub fn start(child: &Child, timeout: Duration) -> Self {
        let (done, finished) = mpsc::channel::<()>();
        let group = child.id();
        let killer = thread::spawn(move || {
            let expired = finished.recv_timeout(timeout) == Err(RecvTimeoutError::Timeout);
            if expired {
                kill_process_group(group);
            }
            expired
        });
        Self { done, killer }
    }

    /// Stops watching, once the child has been waited for; whether it was killed for
    /// outliving its timeout.
    pub fn finish(self) -> bool {
        let _ = self.done.send(());
        self.killer.join().unwrap_or(true)
    }
}
