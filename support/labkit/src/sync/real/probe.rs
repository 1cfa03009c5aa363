//! Hooks the tests use to see and steer real threads; lab code never needs them.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What the hooks count.
struct State {
    /// Threads inside a wait of this module's `Condvar`.
    waiting: usize,
    /// Threads waiting to take a `Mutex` of this module.
    contending: usize,
    /// Waits still to return at once, as a spurious wake-up.
    spurious: usize,
    /// Whether a thread holds a lock it was asked to linger in.
    lingering: bool,
    /// Whether the lingering thread may go.
    released: bool,
    /// Weak exchanges still to fail spuriously.
    failing_exchanges: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    waiting: 0,
    contending: 0,
    spurious: 0,
    lingering: false,
    released: false,
    failing_exchanges: 0,
});
static CHANGED: Condvar = Condvar::new();

thread_local! {
    /// Whether this thread's next `Mutex::lock` lingers, holding the lock.
    static LINGER: Cell<bool> = const { Cell::new(false) };
}

/// One test at a time for as long as the result lives: the counts and the spurious
/// wake-ups here are shared by the whole test process, and `cargo test` runs a file's
/// tests side by side.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn state() -> MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Changes the state and tells every thread watching it.
fn change(f: impl FnOnce(&mut State)) {
    f(&mut state());
    CHANGED.notify_all();
}

/// How many threads wait on a `Condvar` of this module right now. A thread counts from
/// just before it gives its lock back, and is already registered for a notification
/// then, so whoever takes that lock next and notifies reaches it.
pub fn waiting() -> usize {
    state().waiting
}

/// How many threads wait to take a `Mutex` of this module right now.
pub fn contending() -> usize {
    state().contending
}

/// Waits until `condition` holds of the counts (`true`), or until `returned()` says
/// the threads meant to block have returned instead (`false`). After `patience` with
/// neither, `true`: a thread that has not returned is taken to block where this module
/// cannot see it. So it is, at once, once every other thread is asleep in a wait of the
/// facade that only the current thread could end.
fn until(
    condition: impl Fn(&State) -> bool,
    patience: Duration,
    returned: impl Fn() -> bool,
) -> bool {
    watch(patience, true, |state| {
        if condition(state) {
            Some(true)
        } else if returned() {
            Some(false)
        } else {
            None
        }
    })
}

/// Whether threads meant to return do: `true` as soon as `returned()` says so; `false` once
/// every other thread is asleep in a wait of the facade that only the current thread could
/// end (nothing is left that could make them return), or after `patience`.
pub fn returns(patience: Duration, returned: impl Fn() -> bool) -> bool {
    watch(patience, false, |_| returned().then_some(true))
}

/// Whether `done()` comes true while the test watches threads it cannot join yet: `true` as
/// soon as it does. `false` as soon as every other thread is asleep in a wait of the facade
/// that only the current thread could end (nothing is left that could make it true), or once
/// `waiting()` has said the same `Some` for `patience`: a thread kept waiting that long, with
/// no progress (the value says what it waits on, and changes as the threads go on). While
/// `waiting()` says `None`, it watches on without end: a thread that runs forever (an endless
/// loop) is for the test's timeout to stop, not for a message that would blame a wait.
/// `done()` is asked once more before any `false`. The closures are called with no lock of
/// this module held, so they may take the facade's locks.
pub fn watch_for<T: PartialEq>(
    patience: Duration,
    done: impl Fn() -> bool,
    waiting: impl Fn() -> Option<T>,
) -> bool {
    let mut waited: Option<(T, Instant)> = None;
    let mut settling = Settling::default();
    loop {
        if done() {
            return true;
        }
        let now = Instant::now();
        waited = match (waiting(), waited) {
            (None, _) => None,
            (Some(on), Some((before, since))) if on == before => Some((before, since)),
            (Some(on), _) => Some((on, now)),
        };
        let kept = waited
            .as_ref()
            .is_some_and(|(_, since)| now - *since >= patience);
        if kept || settling.at_rest(now) {
            return done();
        }
        // At every change of the counts, and at least every millisecond.
        let _ = CHANGED
            .wait_timeout(state(), Duration::from_millis(1))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

/// What the threads of the current test are asleep in, at which lines, when every thread
/// but the current one is asleep with nothing left to wake it (empty otherwise): what a test
/// adds to its message when threads it waited for never returned.
pub fn sleepers() -> String {
    super::waits::others_asleep()
        .map(|report| report.to_string())
        .unwrap_or_default()
}

/// The answer `verdict` gives of the counts, as soon as it gives one; `at_rest` once every
/// other thread has stayed asleep in a wait of the facade that only the current thread could
/// end for [`SETTLING`] (time for a thread that has just finished to show in `verdict`), or
/// after `patience`.
fn watch(patience: Duration, at_rest: bool, verdict: impl Fn(&State) -> Option<bool>) -> bool {
    let mut settling = Settling::default();
    poll(patience, at_rest, |state, now| {
        verdict(state).or_else(|| settling.at_rest(now).then_some(at_rest))
    })
}

/// Since when every other thread has been asleep in a wait of the facade that only the
/// current thread could end, as seen at each look.
#[derive(Default)]
struct Settling {
    since: Option<Instant>,
}

impl Settling {
    /// Looks again at `now`: whether every other thread has stayed asleep for [`SETTLING`]
    /// (time for a thread that has just finished to show in what the caller watches).
    fn at_rest(&mut self, now: Instant) -> bool {
        self.since = super::waits::all_others_asleep().then(|| self.since.unwrap_or(now));
        self.since.is_some_and(|since| now - since >= SETTLING)
    }
}

/// The answer `step` gives of the counts (and the time it looks), as soon as it gives one;
/// `timed_out` after `patience`. It looks again at every change of the counts, and at least
/// every millisecond for what changes none of them.
fn poll(
    patience: Duration,
    timed_out: bool,
    mut step: impl FnMut(&State, Instant) -> Option<bool>,
) -> bool {
    let deadline = Instant::now() + patience;
    let mut state = state();
    loop {
        let now = Instant::now();
        if let Some(answer) = step(&state, now) {
            return answer;
        }
        let left = deadline.saturating_duration_since(now);
        if left.is_zero() {
            return timed_out;
        }
        state = CHANGED
            .wait_timeout(state, left.min(Duration::from_millis(1)))
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    }
}

/// How long every other thread must stay asleep before [`watch`] takes them to be at rest.
const SETTLING: Duration = Duration::from_millis(50);

/// Whether threads meant to block in a wait stay blocked: `true` as soon as at least
/// `threads` threads wait on a `Condvar` of this module, `false` as soon as `returned()`
/// says they have returned instead; after `patience` with neither, `true` (they are taken
/// to wait where this module cannot see them).
pub fn asleep(threads: usize, patience: Duration, returned: impl Fn() -> bool) -> bool {
    until(|state| state.waiting >= threads, patience, returned)
}

/// As [`asleep`], for threads meant to block taking a `Mutex` of this module.
pub fn blocked_on_a_lock(threads: usize, patience: Duration, returned: impl Fn() -> bool) -> bool {
    until(|state| state.contending >= threads, patience, returned)
}

/// Whether a thread meant to spin waiting keeps spinning: `true` once the facade's atomics
/// have counted `steps` more operations that left an atomic as it was (a load, a failed
/// exchange, a swap of the same value) since this was called, `false` as soon as
/// `returned()` says the thread returned instead; after `patience` with neither, `true` (it
/// waits where the facade cannot count, or slowly).
pub fn spins(steps: usize, patience: Duration, returned: impl Fn() -> bool) -> bool {
    let target = super::waits::spin_steps().saturating_add(steps);
    poll(patience, true, |_, _| {
        if super::waits::spin_steps() >= target {
            Some(true)
        } else if returned() {
            Some(false)
        } else {
            None
        }
    })
}

/// Makes the next `times` waits on a `Condvar` of this module return at once, without a
/// notification: a spurious wake-up, which std allows any condition variable.
pub fn wake_spuriously(times: usize) {
    change(|state| state.spurious = times);
}

/// Makes the current thread's next `Mutex::lock` of this module, once it has the lock,
/// hold it until [`release_lingering`] is called.
pub fn linger_in_next_lock() {
    LINGER.with(|linger| linger.set(true));
}

/// Waits until a thread lingers holding a lock ([`linger_in_next_lock`]); `false` if none
/// did within `patience`.
pub fn await_lingering(patience: Duration) -> bool {
    until(|state| state.lingering, patience, || false) && state().lingering
}

/// Lets the lingering thread go on, with its lock.
pub fn release_lingering() {
    change(|state| state.released = true);
}

/// Lingers here, holding the lock just taken, if this thread was asked to.
pub(crate) fn linger_if_asked() {
    if !LINGER.with(|linger| linger.replace(false)) {
        return;
    }
    change(|state| {
        state.lingering = true;
        state.released = false;
    });
    let state = CHANGED
        .wait_while(state(), |state| !state.released)
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    drop(state);
    change(|state| state.lingering = false);
}

/// Makes the next `times` calls of `AtomicBool::compare_exchange_weak` fail although the
/// value was the expected one, as std allows.
pub fn fail_weak_exchanges(times: usize) {
    change(|state| state.failing_exchanges = times);
}

/// Whether this weak exchange is to fail spuriously (using up one such failure).
pub(crate) fn take_spurious_failure() -> bool {
    let mut state = state();
    let failing = state.failing_exchanges > 0;
    if failing {
        state.failing_exchanges -= 1;
    }
    failing
}

/// Holds every thread that a thread of the current one's group (itself, and the threads
/// started by it or by them) starts with this module's `thread` (`spawn`, `Builder`,
/// `scope`) from now on, before it runs its closure, until [`StartGate::start_one`] lets it
/// go: the test decides when each thread begins, and so what it reads first. Dropping the
/// gate lets every held thread go. A held thread is asleep for the registry of waits, in a
/// wait that only the thread holding the gate can end; the current thread counts as running
/// from now on, so threads only it can wake are never reported deadlocked while it runs.
pub fn hold_starts() -> StartGate {
    super::waits::hold_starts();
    StartGate { _private: () }
}

/// New threads wait at their start while this lives (see [`hold_starts`]).
#[derive(Debug)]
pub struct StartGate {
    _private: (),
}

impl StartGate {
    /// Lets go the earliest started of the threads the gate holds (or will hold: started, not
    /// yet at the gate), so that the order is the order of their `spawn` calls, waiting for
    /// one to be started: `true` once one was let go; `false` if none came within `patience`,
    /// or as soon as every other thread is asleep in a wait of the facade that only the
    /// current thread could end (none is left that could start one). The current thread
    /// counts as running for the registry of waits from now on, so threads that only it can
    /// wake are never reported deadlocked while it runs.
    pub fn start_one(&self, patience: Duration) -> bool {
        watch(patience, false, |_| {
            super::waits::start_earliest_held().then_some(true)
        })
    }
}

impl Drop for StartGate {
    fn drop(&mut self) {
        super::waits::open_gate();
    }
}

/// How many threads the current thread spawned (with this module's `thread::spawn` or
/// `Builder`) and has not joined. Scoped threads are always joined, and not counted.
pub fn unjoined() -> usize {
    super::thread::unjoined_by_current()
}

/// The most threads spawned (with this module's `thread::spawn` or `Builder`) and not yet
/// joined that there have been at once so far, counting every thread of the process, not
/// only the current thread's as [`unjoined`] does. A thread runs only between its spawn
/// and its join, so a peak of 1 means that no two of them ever ran at the same time: the
/// race lab's demo tells threads joined one by one from a race that lost no update by
/// luck. Scoped threads are not counted.
pub fn peak_unjoined() -> usize {
    super::thread::peak_unjoined()
}

/// Whether this wait is to return at once, spuriously (using up one such wake-up).
pub(crate) fn take_spurious_wakeup() -> bool {
    let mut state = state();
    let spurious = state.spurious > 0;
    if spurious {
        state.spurious -= 1;
    }
    spurious
}

/// One thread counted in [`waiting`] for as long as this lives.
pub(crate) struct Waiting;

impl Waiting {
    pub(crate) fn enter() -> Self {
        change(|state| state.waiting += 1);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        change(|state| state.waiting -= 1);
    }
}

/// One thread counted in [`contending`] for as long as this lives.
pub(crate) struct Contending;

impl Contending {
    pub(crate) fn enter() -> Self {
        change(|state| state.contending += 1);
        Contending
    }
}

impl Drop for Contending {
    fn drop(&mut self) {
        change(|state| state.contending -= 1);
    }
}
