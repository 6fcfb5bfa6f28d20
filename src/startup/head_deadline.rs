//! A deadline for the request heads of kept-alive connections.
//!
//! actix-http bounds only a connection's first request head
//! (`client_request_timeout`, answered with 408): its HTTP/1 dispatcher clears
//! the head timer once that request is read, and clears the keep-alive timer
//! at the first byte of the next request. A later head written a byte at a time
//! was then never cut off, and held its connection for as long as the client
//! liked.
//!
//! So each connection carries one more deadline: set when a response ends,
//! `keep_alive + client_request_timeout` later, and lifted when the next
//! request's head has been read and reaches the app. A read past it fails,
//! and actix-http drops the connection without answering. An idle connection
//! is still closed by the keep-alive timer first.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_codec::{AsyncRead, AsyncWrite, ReadBuf};
use actix_http::Request;
use actix_service::{Service, ServiceFactory, apply_fn_factory};
use actix_web::HttpResponse;
use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{Response, ServiceResponse};
use actix_web::rt::time::{Instant, Sleep, sleep_until};
use actix_web::web::Bytes;
use pin_project_lite::pin_project;

/// One connection's deadline for its next request head.
#[derive(Debug)]
pub(super) struct HeadDeadline {
    /// From the end of a response to the end of the next request's head.
    limit: Duration,
    /// Requests that reached the app and whose response has not ended.
    open: Cell<usize>,
    /// When the next request head must have arrived; none while a request
    /// is being served.
    at: Cell<Option<Instant>>,
}

impl HeadDeadline {
    fn new(limit: Duration) -> Rc<Self> {
        Rc::new(Self {
            limit,
            open: Cell::new(0),
            at: Cell::new(None),
        })
    }

    /// A request's head has been read: no deadline while it is served.
    fn request_started(&self) {
        self.open.set(self.open.get() + 1);
        self.at.set(None);
    }

    /// A response has ended: the next head is due within the limit.
    fn response_ended(&self) {
        let open = self.open.get().saturating_sub(1);
        self.open.set(open);
        if open == 0 {
            self.at.set(Some(Instant::now() + self.limit));
        }
    }
}

/// A connection's stream, whose reads fail once its [`HeadDeadline`] has
/// passed.
pub(super) struct DeadlineIo<IO> {
    io: IO,
    deadline: Rc<HeadDeadline>,
    peer: Option<SocketAddr>,
    /// Wakes the connection by the deadline while it waits for bytes; made
    /// on the first wait, and moved only when it would wake too late.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<IO> DeadlineIo<IO> {
    /// Wraps a new connection's stream; a head is due `limit` after each
    /// response.
    pub(super) fn new(io: IO, limit: Duration, peer: Option<SocketAddr>) -> Self {
        Self {
            io,
            deadline: HeadDeadline::new(limit),
            peer,
            timer: None,
        }
    }

    /// The deadline, for the connection's data (`Request::conn_data`).
    pub(super) fn deadline(&self) -> Rc<HeadDeadline> {
        Rc::clone(&self.deadline)
    }

    fn expired(&self) -> io::Error {
        let peer = self.peer.map_or_else(|| "-".to_owned(), |p| p.to_string());
        log::debug!(
            "closing the connection from {peer}: no request head within {} s of the previous response",
            self.deadline.limit.as_secs()
        );
        io::Error::new(
            io::ErrorKind::TimedOut,
            "no request head within the deadline",
        )
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for DeadlineIo<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(at) = this.deadline.at.get() else {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        };
        let now = Instant::now();
        if now >= at {
            return Poll::Ready(Err(this.expired()));
        }
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if read.is_pending() {
            let timer = this.timer.get_or_insert_with(|| Box::pin(sleep_until(at)));
            if timer.deadline() > at || timer.deadline() <= now {
                timer.as_mut().reset(at);
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(this.expired()));
            }
        }
        read
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for DeadlineIo<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Ends a response for its connection's deadline when dropped: the
/// dispatcher drops a body once it has written it (or at once, for a
/// response without one).
struct ResponseEnd(Option<Rc<HeadDeadline>>);

impl Drop for ResponseEnd {
    fn drop(&mut self) {
        if let Some(deadline) = &self.0 {
            deadline.response_ended();
        }
    }
}

pin_project! {
    /// A response body that starts its connection's deadline when it ends.
    pub(super) struct DeadlineBody<B> {
        #[pin]
        body: B,
        end: ResponseEnd,
    }
}

impl<B: MessageBody> MessageBody for DeadlineBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.project().body.poll_next(cx)
    }

    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let Self { body, end } = self;
        body.try_into_bytes().map_err(|body| Self { body, end })
    }
}

/// The app, marking on its connection's deadline when each request reaches
/// it and when each response ends. An error becomes its response here, so
/// that it ends like any other.
pub(super) fn track<SF, B>(
    app: SF,
) -> impl ServiceFactory<
    Request,
    Config = (),
    Response = Response<DeadlineBody<EitherBody<B>>>,
    Error = actix_web::Error,
    InitError = SF::InitError,
>
where
    SF: ServiceFactory<
            Request,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    SF::Service: 'static,
    B: MessageBody + 'static,
{
    apply_fn_factory(app, |req: Request, app: &SF::Service| {
        let deadline = req.conn_data::<Rc<HeadDeadline>>().cloned();
        if let Some(deadline) = &deadline {
            deadline.request_started();
        }
        let response = app.call(req);
        async move {
            let response: Response<EitherBody<B>> = match response.await {
                Ok(res) => res.map_into_left_body().into(),
                Err(err) => HttpResponse::from_error(err).map_into_right_body().into(),
            };
            Ok(response.map_body(|_, body| DeadlineBody {
                body,
                end: ResponseEnd(deadline),
            }))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_runs_only_while_no_request_is_served() {
        let deadline = HeadDeadline::new(Duration::from_secs(10));
        assert_eq!(deadline.at.get(), None, "the first head is actix-http's");
        // Two pipelined requests: the first response's end starts nothing
        // while the second is still served.
        deadline.request_started();
        deadline.request_started();
        deadline.response_ended();
        assert_eq!(deadline.at.get(), None);
        let before = Instant::now();
        deadline.response_ended();
        let at = deadline.at.get().expect("a deadline once all are answered");
        assert!(
            at >= before + Duration::from_secs(10)
                && at <= Instant::now() + Duration::from_secs(10)
        );
        deadline.request_started();
        assert_eq!(deadline.at.get(), None);
    }
}
