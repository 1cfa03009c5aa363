//! The facade's whole API, used once each, in both configurations: `cargo test -p labkit`
//! runs it on real threads, and `.ci/run` runs it again built with `--cfg loom`
//! (`cargo test --release -p labkit --test api --config "build.rustflags=['--cfg', 'loom']"`).
//! A method lab code could call on std that one configuration lacks fails to compile here.
//!
//! What std has and the facade does not, in either configuration: `get_mut` and `as_ptr` of
//! the atomics (loom tracks every access to an atomic, so it hands out no reference into one),
//! `Mutex::lock` by a thread that already holds it (a deadlock on both), and `std::sync`'s
//! other types (`RwLock`, `Once`, `Barrier`, channels), which no lab needs.

use std::time::Duration;

use labkit::sync::cell::UnsafeCell;
use labkit::sync::{
    Arc, AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, TryLockError, hint, thread,
};

/// Runs `body` once on real threads, or under loom over every interleaving.
fn run(body: impl Fn() + Send + Sync + 'static) {
    #[cfg(loom)]
    labkit::timeline::model(body);
    #[cfg(not(loom))]
    body();
}

#[test]
fn atomic_bool_has_stds_api() {
    run(|| {
        let flag = AtomicBool::new(false);
        assert!(!flag.load(Ordering::Acquire));
        flag.store(true, Ordering::Release);
        assert!(flag.swap(false, Ordering::AcqRel));
        assert!(!flag.fetch_or(true, Ordering::SeqCst));
        assert!(flag.fetch_and(true, Ordering::SeqCst));
        assert!(flag.fetch_xor(true, Ordering::SeqCst));
        assert!(!flag.fetch_nand(true, Ordering::SeqCst));
        assert!(flag.fetch_not(Ordering::SeqCst));
        assert_eq!(
            flag.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed),
            Ok(false)
        );
        while flag
            .compare_exchange_weak(true, false, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {}
        assert_eq!(
            flag.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(!v)),
            Ok(false)
        );
        assert!(flag.into_inner());
        assert!(!AtomicBool::default().into_inner());
        assert!(AtomicBool::from(true).into_inner());
    });
}

#[test]
fn atomic_usize_has_stds_api() {
    run(|| {
        let count = AtomicUsize::new(6);
        assert_eq!(count.load(Ordering::Relaxed), 6);
        count.store(5, Ordering::Relaxed);
        assert_eq!(count.swap(4, Ordering::SeqCst), 5);
        assert_eq!(count.fetch_add(2, Ordering::SeqCst), 4);
        assert_eq!(count.fetch_sub(1, Ordering::SeqCst), 6);
        assert_eq!(count.fetch_and(0b110, Ordering::SeqCst), 5);
        assert_eq!(count.fetch_or(0b001, Ordering::SeqCst), 4);
        assert_eq!(count.fetch_xor(0b011, Ordering::SeqCst), 5);
        assert_eq!(count.fetch_nand(0b110, Ordering::SeqCst), 6);
        assert_eq!(count.fetch_max(9, Ordering::SeqCst), !0b110);
        assert_eq!(count.fetch_min(3, Ordering::SeqCst), !0b110);
        assert_eq!(
            count.compare_exchange(3, 7, Ordering::AcqRel, Ordering::Acquire),
            Ok(3)
        );
        while count
            .compare_exchange_weak(7, 8, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {}
        assert_eq!(
            count.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_add(1)),
            Ok(8)
        );
        assert_eq!(count.into_inner(), 9);
        assert_eq!(AtomicUsize::default().into_inner(), 0);
        assert_eq!(AtomicUsize::from(2).into_inner(), 2);
    });
}

#[test]
fn mutex_and_condvar_have_stds_api() {
    run(|| {
        let mut mutex = Mutex::new(1);
        *mutex.get_mut().unwrap() += 1;
        {
            let mut guard: MutexGuard<'_, i32> = mutex.lock().unwrap();
            *guard += 1;
            assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
        }
        *mutex.try_lock().unwrap() += 1;
        assert!(!mutex.is_poisoned());
        mutex.clear_poison();
        assert_eq!(mutex.into_inner().unwrap(), 4);
        assert_eq!(*Mutex::<u8>::default().lock().unwrap(), 0);

        let shared = Arc::new((Mutex::new(false), Condvar::new()));
        let notifier = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let (ready, changed) = &*shared;
                *ready.lock().unwrap() = true;
                changed.notify_one();
                changed.notify_all();
            })
        };
        let (ready, changed) = &*shared;
        let mut guard = ready.lock().unwrap();
        while !*guard {
            guard = changed.wait(guard).unwrap();
        }
        let guard = changed.wait_while(guard, |ready| !*ready).unwrap();
        let (guard, result) = changed
            .wait_timeout_while(guard, Duration::ZERO, |ready| !*ready)
            .unwrap();
        assert!(!result.timed_out());
        drop(guard);
        notifier.join().unwrap();
        let _ = Condvar::default();
    });
}

#[test]
fn arc_is_stds_whole_arc() {
    run(|| {
        let pause: Arc<dyn Fn() -> u8 + Send + Sync> = Arc::new(|| 7);
        assert_eq!(pause(), 7);
        let shared = Arc::new(AtomicUsize::new(1));
        let other = Arc::clone(&shared);
        assert_eq!(Arc::strong_count(&shared), 2);
        drop(other);
        assert_eq!(
            Arc::into_inner(shared).map(AtomicUsize::into_inner),
            Some(1)
        );
        assert_eq!(Arc::try_unwrap(Arc::new(3)), Ok(3));
    });
}

#[test]
fn threads_have_stds_api() {
    run(|| {
        let counted = Arc::new(AtomicUsize::new(0));
        let handle = {
            let counted = Arc::clone(&counted);
            thread::spawn(move || counted.fetch_add(1, Ordering::SeqCst))
        };
        let _ = handle.thread().id();
        assert_eq!(handle.join().unwrap(), 0);
        let named = thread::Builder::new()
            .name("worker".to_owned())
            .stack_size(1 << 20)
            .spawn(|| thread::current().name().map(str::to_owned))
            .unwrap();
        assert_eq!(named.join().unwrap().as_deref(), Some("worker"));
        let total = AtomicUsize::new(0);
        thread::scope(|scope| {
            let first = scope.spawn(|| total.fetch_add(1, Ordering::SeqCst));
            scope.spawn(|| total.fetch_add(1, Ordering::SeqCst));
            first.join().unwrap();
        });
        assert_eq!(total.load(Ordering::SeqCst), 2);
        thread::yield_now();
        hint::spin_loop();
        // Named, not called: a test never sleeps for real.
        let _: fn(Duration) = thread::sleep;
        let _: fn(Duration) = thread::park_timeout;
        assert!(!thread::panicking());
        assert!(thread::available_parallelism().is_ok());
    });
}

#[test]
fn unsafe_cell_has_looms_api() {
    run(|| {
        let cell = UnsafeCell::new(1);
        // SAFETY: no other access to the cell exists in this test.
        unsafe {
            *cell.get_mut().deref() += 1;
            cell.with_mut(|value| *value += 1);
            assert_eq!(*cell.get().deref(), 3);
            assert_eq!(cell.with(|value| *value), 3);
            assert_eq!(cell.get().with(|value| *value), 3);
            cell.get_mut().with(|value| *value += 1);
        }
        assert_eq!(cell.into_inner(), 4);
        assert_eq!(UnsafeCell::<u8>::default().into_inner(), 0);
    });
}
