//! Who waits for what, on real threads, as Go's runtime knows of its goroutines: every thread
//! that uses the facade, the wait it is asleep in (a lock, a condition variable, a join, a
//! spin on an atomic that keeps its value, or a test's gate at its start) at the caller's
//! line, and the locks each holds. When every live thread is asleep in a wait with no
//! timeout and none can wake another (no lock it waits for is free, no notification
//! is pending, no thread it joins is still running), nothing will ever happen again: each
//! thread not started by the facade (a test's own thread, a demo's `main`) then leaves its
//! wait with a [`Deadlock`] report of its threads, and panics with it. Threads started by the
//! facade stay asleep.
//!
//! It never fires on a program that can still go on: a thread running anywhere outside a
//! facade wait (computing, spinning, sleeping, in a wait with a timeout, in a channel or a
//! probe) keeps it quiet, and so does a notification sent but not yet taken up. It sees only
//! threads that have used the facade: a thread that works with the facade's primitives must
//! be started by `labkit::sync::thread`, which counts it from its spawn.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::deadlock::{Deadlock, Holder, Sleeper, Waiting};

/// A thread's number in the registry, in the order threads first used the facade.
pub(crate) type Key = u64;

/// A line of the caller's code.
pub(crate) type Site = &'static Location<'static>;

/// What a thread is asleep in.
#[derive(Debug, Clone)]
pub(crate) enum Wait {
    /// Taking the lock of the mutex at this address.
    Lock {
        /// The mutex's address.
        mutex: usize,
    },
    /// A condition variable's wait: over once `woken` is set.
    Notification {
        /// Set by the notification that reaches this waiter.
        woken: Arc<AtomicBool>,
    },
    /// A join of this thread.
    Join {
        /// The thread joined.
        thread: Key,
    },
    /// Held at its start by a test's gate (`probe::hold_starts`), which only the thread that
    /// holds the gate can open.
    Start {
        /// The thread held (the one asleep).
        thread: Key,
    },
    /// Spinning on an atomic that keeps this value, operation after operation.
    Spin {
        /// The atomic's address.
        atomic: usize,
        /// The value it keeps.
        value: bool,
    },
}

/// Where a thread came from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// Started by the facade, at this line, by a thread of this group.
    Spawned {
        /// The `spawn` call.
        at: Site,
        /// The thread not started by the facade that this one descends from.
        group: Key,
    },
    /// Not started by the facade (a test's thread, `main`): the root of its group.
    Own {
        /// Its name, if it has one.
        name: Option<String>,
    },
}

/// What a thread is doing.
#[derive(Debug, Clone)]
enum State {
    /// Anything but a wait of the facade with no timeout.
    Running,
    /// Asleep in `wait`, at the caller's line `at`, with no timeout.
    Asleep { wait: Wait, at: Site },
}

#[derive(Debug)]
struct Thread {
    origin: Origin,
    state: State,
}

/// Every live thread that has used the facade (a thread leaves when it finishes), and the
/// locks held.
#[derive(Default)]
pub(crate) struct Registry {
    threads: BTreeMap<Key, Thread>,
    next: Key,
    /// Each mutex held: by which thread, taken at which line.
    holders: HashMap<usize, (Key, Site)>,
    /// Threads that are to leave their wait with this report.
    declared: HashMap<Key, Arc<Deadlock>>,
    /// A test's gate, while it is up.
    gate: Option<Gate>,
}

/// A test's gate: the threads a group starts once it is up wait at their start until it
/// lets them go, one at a time, in the order they were started.
struct Gate {
    /// The group whose threads it holds.
    group: Key,
    /// The last key given before it went up: it holds only threads with a larger one.
    since: Key,
    /// The threads it has let go.
    let_go: BTreeSet<Key>,
}

impl Registry {
    /// Whether the gate holds the thread `key` (if the thread has not been let go yet).
    fn gated(&self, key: Key) -> bool {
        self.gate
            .as_ref()
            .is_some_and(|gate| key > gate.since && self.group(key) == gate.group)
    }
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// Told of every change that may end a wait: a lock released, a notification, a thread
/// finished, a deadlock declared.
static CHANGED: Condvar = Condvar::new();

thread_local! {
    /// The current thread's key, once it has one.
    static ME: Cell<Option<Key>> = const { Cell::new(None) };
    /// For a thread not started by the facade: marks it finished when it exits.
    static EXIT: Exit = const { Exit(Cell::new(None)) };
}

/// Marks a thread not started by the facade finished when the thread exits.
struct Exit(Cell<Option<Key>>);

impl Drop for Exit {
    fn drop(&mut self) {
        if let Some(key) = self.0.get() {
            finished(key);
        }
    }
}

fn registry() -> MutexGuard<'static, Option<Registry>> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` on the registry, under its lock.
fn with<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut guard = registry();
    f(guard.get_or_insert_with(Registry::default))
}

impl Registry {
    fn add(&mut self, origin: Origin) -> Key {
        self.next += 1;
        let key = self.next;
        self.threads.insert(
            key,
            Thread {
                origin,
                state: State::Running,
            },
        );
        key
    }

    /// The current thread's key, registering it as the root of its group if it is new; a
    /// thread counted as spinning does something else with the facade now, and runs again.
    fn me(&mut self) -> Key {
        if let Some(key) = ME.with(Cell::get) {
            if SPINNING.with(|spinning| spinning.replace(false)) {
                SPINNERS.fetch_sub(1, Ordering::SeqCst);
                self.thread(key).state = State::Running;
            }
            return key;
        }
        let name = std::thread::current().name().map(str::to_owned);
        let key = self.add(Origin::Own { name });
        ME.with(|me| me.set(Some(key)));
        // A thread that is exiting can no longer register its exit: it then never counts
        // as finished, which only keeps the judgement quiet.
        let _ = EXIT.try_with(|exit| exit.0.set(Some(key)));
        key
    }

    /// The entry of `key`, made anew (as a running thread of its own) if it has left.
    fn thread(&mut self, key: Key) -> &mut Thread {
        self.threads.entry(key).or_insert(Thread {
            origin: Origin::Own { name: None },
            state: State::Running,
        })
    }

    /// The root of `key`'s group.
    fn group(&self, key: Key) -> Key {
        match self.threads.get(&key).map(|thread| &thread.origin) {
            Some(Origin::Spawned { group, .. }) => *group,
            _ => key,
        }
    }

    /// Whether `thread` is asleep with nothing that could wake it but another thread.
    fn hopeless(&self, thread: &Thread) -> bool {
        match &thread.state {
            State::Running => false,
            State::Asleep { wait, .. } => match wait {
                Wait::Lock { mutex } => self.holders.contains_key(mutex),
                Wait::Notification { woken } => !woken.load(Ordering::SeqCst),
                // A finished thread has left the registry.
                Wait::Join { thread } => self.threads.contains_key(thread),
                // Only another thread could change what it spins on.
                Wait::Spin { .. } => true,
                Wait::Start { thread } => self
                    .gate
                    .as_ref()
                    .is_some_and(|gate| !gate.let_go.contains(thread)),
            },
        }
    }

    /// Whether every live thread but `except` is asleep with nothing that could wake it but
    /// another thread.
    fn hopeless_but(&self, except: Option<Key>) -> bool {
        self.threads
            .iter()
            .all(|(&key, thread)| Some(key) == except || self.hopeless(thread))
    }

    /// Declares a deadlock if every live thread is asleep with nothing left to wake it, for
    /// each thread not started by the facade among them to report; whether they all are.
    fn judge(&mut self) -> bool {
        if !self.hopeless_but(None) {
            return false;
        }
        let roots: Vec<Key> = self
            .threads
            .iter()
            .filter(|(key, thread)| {
                matches!(thread.origin, Origin::Own { .. })
                    && matches!(thread.state, State::Asleep { .. })
                    && !self.declared.contains_key(key)
            })
            .map(|(&key, _)| key)
            .collect();
        for root in roots {
            let report = Arc::new(self.report(root, true));
            self.declared.insert(root, report);
        }
        CHANGED.notify_all();
        true
    }

    /// The deadlock as `root` reports it: the threads of its group asleep, root first;
    /// `everyone` asleep, or all but the thread reporting.
    fn report(&self, root: Key, everyone: bool) -> Deadlock {
        let sleepers = self
            .threads
            .iter()
            .filter(|&(&key, _)| self.group(key) == root)
            .filter_map(|(&key, thread)| {
                let State::Asleep { wait, at } = &thread.state else {
                    return None;
                };
                Some(Sleeper {
                    thread: thread.origin.clone(),
                    at,
                    waiting: self.waiting(key, wait),
                })
            })
            .collect();
        Deadlock { everyone, sleepers }
    }

    /// What `key`'s wait is for, as the report says it.
    fn waiting(&self, key: Key, wait: &Wait) -> Waiting {
        match wait {
            Wait::Notification { .. } => Waiting::Notification,
            Wait::Spin { value, .. } => Waiting::Spin { value: *value },
            Wait::Start { .. } => Waiting::Start,
            Wait::Join { thread } => Waiting::Join {
                spawned_at: match self.threads.get(thread).map(|joined| &joined.origin) {
                    Some(Origin::Spawned { at, .. }) => Some(*at),
                    _ => None,
                },
            },
            Wait::Lock { mutex } => {
                // Reported only when hopeless, so the lock is held.
                let (holder, taken_at) = self.holders[mutex];
                let holder = match self.threads.get(&holder).map(|thread| &thread.state) {
                    _ if holder == key => Holder::Itself,
                    None => Holder::Finished,
                    Some(State::Asleep { at, .. }) => Holder::Other(Some(at)),
                    Some(State::Running) => Holder::Other(None),
                };
                Waiting::Lock { taken_at, holder }
            }
        }
    }
}

/// Registers a thread about to be started by the current one at `at`; its key, to pass to
/// [`started`] in the new thread.
pub(crate) fn spawning(at: Site) -> Key {
    with(|registry| {
        let me = registry.me();
        let group = registry.group(me);
        registry.add(Origin::Spawned { at, group })
    })
}

/// Tells the registry that the current thread is the one registered as `key`.
pub(crate) fn started(key: Key) {
    ME.with(|me| me.set(Some(key)));
}

/// Holds, from now on, every thread started by a thread of the current thread's group at its
/// start, until [`start_earliest_held`] lets it go or [`open_gate`] lets them all go.
pub(crate) fn hold_starts() {
    with(|registry| {
        let me = registry.me();
        registry.gate = Some(Gate {
            group: registry.group(me),
            since: registry.next,
            let_go: BTreeSet::new(),
        });
    });
}

/// Lets every held thread go, and holds no more.
pub(crate) fn open_gate() {
    with(|registry| registry.gate = None);
    CHANGED.notify_all();
}

/// Lets go the earliest started of the threads the gate holds or will hold (started, and
/// perhaps not at the gate yet), so that the order does not depend on which got there first;
/// whether there was one. The current thread counts as running from now on: threads only it
/// can wake (through a test's channel, say) are never taken for deadlocked while it runs.
pub(crate) fn start_earliest_held() -> bool {
    let started = with(|registry| {
        registry.me();
        let earliest = registry.threads.keys().copied().find(|&key| {
            registry.gated(key)
                && registry
                    .gate
                    .as_ref()
                    .is_some_and(|gate| !gate.let_go.contains(&key))
        });
        match (earliest, registry.gate.as_mut()) {
            (Some(key), Some(gate)) => gate.let_go.insert(key),
            _ => false,
        }
    });
    CHANGED.notify_all();
    started
}

/// At the start of the thread `key` (the current one), started at `at`: waits while a gate
/// holds it, until the gate lets it go.
pub(crate) fn hold_if_gated(key: Key, at: Site) {
    if with(|registry| registry.gated(key)) {
        asleep_until(Wait::Start { thread: key }, at, |registry| {
            let let_go = registry
                .gate
                .as_ref()
                .is_none_or(|gate| gate.let_go.contains(&key));
            let_go.then_some(())
        });
    }
}

/// Marks `key` finished (the current thread, or one that could not be started): it leaves
/// the registry, no longer holds up a join, and may leave the others asleep.
pub(crate) fn finished(key: Key) {
    ME.with(|me| {
        if me.get() == Some(key) {
            me.set(None);
            if SPINNING.with(|spinning| spinning.replace(false)) {
                SPINNERS.fetch_sub(1, Ordering::SeqCst);
            }
        }
    });
    with(|registry| {
        registry.threads.remove(&key);
        registry.judge();
    });
    CHANGED.notify_all();
}

/// Records that the current thread has taken the lock of the mutex at `mutex`, at `at`.
pub(crate) fn acquired(mutex: usize, at: Site) {
    with(|registry| {
        let me = registry.me();
        registry.holders.insert(mutex, (me, at));
    });
}

/// Records that the current thread has given back the lock of the mutex at `mutex`, and
/// wakes the threads waiting to take it.
pub(crate) fn released(mutex: usize) {
    with(|registry| {
        let me = registry.me();
        if registry
            .holders
            .get(&mutex)
            .is_some_and(|(holder, _)| *holder == me)
        {
            registry.holders.remove(&mutex);
        }
    });
    CHANGED.notify_all();
}

/// Wakes every wait, to check whether it is over (after a notification by the current
/// thread).
pub(crate) fn changed() {
    // Taking the lock orders this after any wait's check of its condition.
    with(|registry| {
        registry.me();
    });
    CHANGED.notify_all();
}

/// Sleeps in `wait`, at the caller's line `at`, until `ready` gives a value; `ready` is asked
/// under the registry's lock, first at once and then after every change. The wait may be
/// the one that leaves every thread asleep: then the deadlock is declared, and this thread,
/// if it was not started by the facade, panics with the report (one started by the facade
/// sleeps on).
#[track_caller]
pub(crate) fn asleep_until<R>(
    wait: Wait,
    at: Site,
    mut ready: impl FnMut(&Registry) -> Option<R>,
) -> R {
    let mut guard = registry();
    let registry = guard.get_or_insert_with(Registry::default);
    let me = registry.me();
    registry.thread(me).state = State::Asleep { wait, at };
    loop {
        let registry = guard.get_or_insert_with(Registry::default);
        if let Some(value) = ready(registry) {
            registry.thread(me).state = State::Running;
            return value;
        }
        if let Some(report) = registry.declared.remove(&me) {
            registry.thread(me).state = State::Running;
            drop(guard);
            panic!("{report}");
        }
        if registry.judge() && registry.declared.contains_key(&me) {
            continue;
        }
        guard = CHANGED.wait(guard).unwrap_or_else(PoisonError::into_inner);
    }
}

/// Waits until `ready` gives a value, asked as in [`asleep_until`], or `None` once
/// `deadline` has passed. The thread counts as running meanwhile: a wait with a deadline is
/// never part of a deadlock, as it ends by itself.
pub(crate) fn awake_until_or<R>(
    deadline: Instant,
    mut ready: impl FnMut(&Registry) -> Option<R>,
) -> Option<R> {
    let mut guard = registry();
    // A facade call: a thread counted as spinning runs again.
    guard.get_or_insert_with(Registry::default).me();
    loop {
        if let Some(value) = ready(guard.get_or_insert_with(Registry::default)) {
            return Some(value);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        guard = CHANGED
            .wait_timeout(guard, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

impl Registry {
    /// Whether the thread `key` has finished (or never used the facade).
    pub(crate) fn has_finished(&self, key: Key) -> bool {
        !self.threads.contains_key(&key)
    }
}

/// The threads of the current thread's group asleep, if every live thread but the current
/// one is asleep with nothing left to wake it but the current thread (which a probe is
/// running): what a test says of threads that never returned.
pub(crate) fn others_asleep() -> Option<Deadlock> {
    with(|registry| {
        let me = registry.me();
        registry
            .hopeless_but(Some(me))
            .then(|| registry.report(registry.group(me), false))
    })
}

/// Whether every live thread but the current one is asleep with nothing left to wake it
/// but the current thread: what the probes that wait for threads to block look at, so that
/// they stop waiting as soon as nothing more can happen.
pub(crate) fn all_others_asleep() -> bool {
    with(|registry| {
        let me = registry.me();
        registry.hopeless_but(Some(me))
    })
}

/// How many operations in a row that leave an atomic as it was make a thread spinning, for
/// the registry: it then checks whether any thread is left that could change the atomic
/// (and again after as many more).
const SPINS: u32 = 1 << 16;

thread_local! {
    /// The atomic the current thread last operated on, the value it found, and how many
    /// operations in a row have found it so and left it so.
    static SPIN: Cell<(usize, bool, u32)> = const { Cell::new((0, false, 0)) };
    /// Whether the registry counts the current thread as asleep in a spin.
    static SPINNING: Cell<bool> = const { Cell::new(false) };
}

/// How many threads count as spinning: while there are any, every write to a facade atomic
/// looks for those spinning on it, to wake them.
static SPINNERS: AtomicUsize = AtomicUsize::new(0);

/// How many operations that left an atomic as it was every thread has made so far: the steps
/// of every spin, which [`spin_steps`] tells a test.
static SPIN_STEPS: AtomicUsize = AtomicUsize::new(0);

/// How many operations that left a facade atomic as it was (a load, a failed exchange, a
/// swap of the same value) every thread of the process has made so far.
pub(crate) fn spin_steps() -> usize {
    SPIN_STEPS.load(Ordering::SeqCst)
}

/// Counts an operation of the current thread, at `at`, on the atomic at `atomic`, which
/// now holds `value`: `unchanged` when it left the value as it was (a load, a failed
/// exchange, a swap of the same value); `current` reads the atomic again. After [`SPINS`]
/// such operations in a row on one atomic, all finding the same value, the thread counts as
/// asleep in a spin until it does anything else with the facade or another thread writes
/// the atomic, and the registry judges (and again every [`SPINS`]): if no other thread is
/// left running, nothing will ever change the atomic, and the deadlock is declared. A thread
/// not started by the facade then panics with the report; one started by the facade stops
/// spinning and sleeps for good (nothing could end its spin).
#[track_caller]
pub(crate) fn spun(
    atomic: usize,
    unchanged: bool,
    value: bool,
    at: Site,
    current: impl Fn() -> bool,
) {
    if unchanged {
        SPIN_STEPS.fetch_add(1, Ordering::Relaxed);
    } else {
        woken_spinners(atomic);
    }
    let (last, last_value, count) = SPIN.with(Cell::get);
    let streak = unchanged && last == atomic && last_value == value;
    let count = match (streak, unchanged) {
        (true, _) => count.wrapping_add(1),
        (false, true) => 1,
        (false, false) => 0,
    };
    SPIN.with(|spin| spin.set((atomic, value, count)));
    if !streak && SPINNING.with(Cell::get) {
        with(|registry| {
            registry.me();
        });
    }
    if count == 0 || count % SPINS != 0 {
        return;
    }
    let mut guard = registry();
    let registry = guard.get_or_insert_with(Registry::default);
    let me = registry.me();
    registry.thread(me).state = State::Asleep {
        wait: Wait::Spin { atomic, value },
        at,
    };
    SPINNING.with(|spinning| spinning.set(true));
    SPINNERS.fetch_add(1, Ordering::SeqCst);
    // A write made after this thread last looked, but before it counted as spinning, did not
    // see it: look again.
    if current() != value {
        registry.me();
        return;
    }
    if !registry.judge() {
        return;
    }
    if let Some(report) = registry.declared.remove(&me) {
        registry.me();
        drop(guard);
        panic!("{report}");
    }
    loop {
        guard = CHANGED.wait(guard).unwrap_or_else(PoisonError::into_inner);
    }
}

/// After a write of the current thread to the atomic at `atomic`: the threads spinning on it
/// run again, as the value they keep seeing has changed.
fn woken_spinners(atomic: usize) {
    // Orders the write before the count, as the spinner orders its count before its look
    // at the value: either the writer sees the spinner, or the spinner sees the write.
    std::sync::atomic::fence(Ordering::SeqCst);
    if SPINNERS.load(Ordering::SeqCst) == 0 {
        return;
    }
    with(|registry| {
        for thread in registry.threads.values_mut() {
            if let State::Asleep {
                wait: Wait::Spin { atomic: on, .. },
                ..
            } = thread.state
                && on == atomic
            {
                thread.state = State::Running;
            }
        }
    });
}
