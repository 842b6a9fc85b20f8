//! Shutdown signals and a broadcast every server of a process can wait on.

use tokio::sync::watch;

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// How long a component keeps serving after SIGTERM while reporting
/// not-ready (`SHUTDOWN_DRAIN_SECONDS`, default 0): long enough for the
/// endpoint controllers and the gateway to stop sending it new work. Only
/// then does it stop accepting and finish what is in flight.
pub fn drain_delay() -> std::time::Duration {
    std::time::Duration::from_secs(
        crate::config::var("SHUTDOWN_DRAIN_SECONDS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            .min(300),
    )
}

/// One trigger, many waiters: the stack stops every server with one call.
#[derive(Clone)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self {
            tx: watch::channel(false).0,
        }
    }

    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// A future that resolves once [`Shutdown::trigger`] has been called.
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }
}
