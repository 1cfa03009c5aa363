//! Lab 1.3: limit concurrent access with a semaphore.
//!
//! Rust's standard library has no semaphore, so this lab builds one from a `Mutex` and a
//! `Condvar`: a count of free permits, and a way to sleep until one is given back. A permit is
//! an RAII value: holding it means holding one "parking spot", dropping it frees the spot.

use labkit::sync::{Condvar, Mutex, MutexGuard, thread};

use std::time::Duration;

/// The seed's `max_concurrent_connections`.
pub const MAX_CONCURRENT_CONNECTIONS: usize = 3;

/// The seed's ten fake devices, `192.168.1.100` to `192.168.1.109`.
pub fn device_ips() -> Vec<String> {
    (100..110).map(|i| format!("192.168.1.{i}")).collect()
}

/// A counting semaphore: at most `permits` [`Permit`]s exist at any time.
///
/// Contract: [`acquire`](Self::acquire) waits while no permit is free and never fails;
/// dropping a permit frees it and wakes one waiter; the number of live permits never exceeds
/// the number the semaphore was created with.
#[derive(Debug)]
pub struct Semaphore {
    free: Mutex<usize>,
    permit_returned: Condvar,
}

/// One of a [`Semaphore`]'s permits; it is given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    pub fn new(permits: usize) -> Self {
        Self {
            free: Mutex::new(permits),
            permit_returned: Condvar::new(),
        }
    }

    /// The free-permit count, locked.
    fn free(&self) -> MutexGuard<'_, usize> {
        self.free
            .lock()
            .expect("a thread panicked while holding the semaphore's lock")
    }

    /// Waits until a permit is free, takes it, and returns it.
    pub fn acquire(&self) -> Permit<'_> {
        let mut free = self.free();
        loop {
            let (next, waited) = self
                .permit_returned
                .wait_timeout_while(free, Duration::from_secs(1), |free| *free == 0)
                .expect("a thread panicked while holding the semaphore's lock");
            free = next;
            if !waited.timed_out() {
                break;
            }
        }
        *free -= 1;
        Permit { semaphore: self }
    }

    /// Takes a permit if one is free right now; returns `None`, without waiting, otherwise.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut free = self
            .free
            .lock()
            .expect("a thread panicked while holding the semaphore's lock");
        (*free > 0).then(|| {
            *free -= 1;
            Permit { semaphore: self }
        })
    }

    /// How many permits are free right now (the seed's `_value`): for printing only, since
    /// another thread may change it the moment after it is read.
    pub fn available(&self) -> usize {
        *self.free()
    }
}

impl Drop for Permit<'_> {
    /// Gives the permit back and wakes one thread waiting in [`Semaphore::acquire`].
    fn drop(&mut self) {
        *self.semaphore.free() += 1;
        self.semaphore.permit_returned.notify_one();
    }
}

/// What one connection is told when it starts: who it is, where it goes, and how many
/// permits were free right after it took its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The seed's thread name: `DeviceConn-1` for the first device, and so on.
    pub thread_name: String,
    /// The device this connection is to.
    pub device_ip: String,
    /// Free permits right after this connection took its own (the seed's "Active slots").
    pub free_slots: usize,
}

/// Connects to every device in `device_ips` on its own thread, with at most `limit`
/// connections open at once, and returns what `connect` returned for each device, in the
/// order of `device_ips`.
///
/// Contract: every call of `connect` happens while its thread holds a permit of one semaphore
/// with `limit` permits, so at most `limit` calls run at the same time; returns only after
/// every thread has been joined.
pub fn connect_all<F, R>(device_ips: Vec<String>, limit: usize, connect: F) -> Vec<R>
where
    F: Fn(&Connection) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    let semaphore = Semaphore::new(limit);
    thread::scope(|scope| {
        let handles: Vec<_> = device_ips
            .into_iter()
            .enumerate()
            .map(|(i, device_ip)| {
                let (semaphore, connect) = (&semaphore, &connect);
                scope.spawn(move || {
                    let _permit = semaphore.acquire();
                    connect(&Connection {
                        thread_name: format!("DeviceConn-{}", i + 1),
                        device_ip,
                        free_slots: semaphore.available(),
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a connection thread panicked"))
            .collect()
    })
}
