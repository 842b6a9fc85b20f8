//! Password hashing on a fixed set of worker threads, one per core.
//!
//! Argon2id works in 19 MiB per hash by design. On tokio's blocking pool (up
//! to 512 threads) every thread that ever hashed kept a glibc arena holding
//! that memory, so the process grew with the highest concurrency it had seen
//! (issue 14: 3 GB after 300 account creations at 16 at once). Here at most
//! one hash per worker runs at a time, each worker reuses its own arena's
//! memory, and further callers queue: memory stays near `workers × 19 MiB`
//! whatever the load, and the cores are shared no worse than before. A
//! caller queues no longer than its call's deadline (the gRPC server drops a
//! call at its deadline), and a job whose caller has gone is skipped, so a
//! burst that times out does not leave work behind.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

type Job = Box<dyn FnOnce() + Send>;

pub struct Hasher {
    queue: mpsc::Sender<Job>,
    workers: usize,
}

impl Hasher {
    /// Starts `workers` threads (at least one must start).
    fn start(workers: usize) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let mut started = 0;
        for i in 0..workers {
            let jobs = jobs.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for a job.
                        let job = match jobs.lock() {
                            Ok(jobs) => jobs.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) if started == 0 && i + 1 == workers => return Err(e),
                Err(e) => tracing::warn!(error = %e, "a password hashing worker did not start"),
            }
        }
        Ok(Self {
            queue,
            workers: started,
        })
    }

    /// Queues `work` for a worker now; the answer, or `None` if the workers
    /// are gone.
    pub fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = Option<T>> + Send + 'static {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller left (its deadline passed): the hash is wanted by no one.
            if answer.is_closed() {
                return;
            }
            let _ = answer.send(work());
        });
        let queued = self.queue.send(job).is_ok();
        async move {
            if !queued {
                return None;
            }
            answered.await.ok()
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }
}

/// The process's hasher, started on first use with one worker per core
/// (at most 8: beyond that hashing would only crowd out the rest).
pub fn hasher() -> Result<&'static Hasher, String> {
    static HASHER: OnceLock<Result<Hasher, String>> = OnceLock::new();
    HASHER
        .get_or_init(|| {
            let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8));
            Hasher::start(workers).map_err(|e| format!("cannot start password hashing: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_there_are_workers() {
        let hasher = Hasher::start(2).expect("started");
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..8 {
            let (running, most) = (running.clone(), most.clone());
            calls.spawn(hasher.run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                i
            }));
        }
        let mut answers: Vec<_> = calls.join_all().await.into_iter().flatten().collect();
        answers.sort_unstable();
        assert_eq!(answers, (0..8).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_job_whose_caller_left_is_skipped() {
        let hasher = Hasher::start(1).expect("started");
        let ran = Arc::new(AtomicUsize::new(0));
        // The one worker is busy; the second call is dropped while queued.
        let busy = hasher.run(|| std::thread::sleep(Duration::from_millis(100)));
        let counted = ran.clone();
        let abandoned = hasher.run(move || counted.fetch_add(1, Ordering::SeqCst));
        let _ = tokio::time::timeout(Duration::from_millis(10), abandoned).await;
        busy.await;
        // A job queued after it runs, so the abandoned one was dequeued first.
        hasher.run(|| ()).await;
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}
