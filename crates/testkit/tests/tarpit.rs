//! The tarpit: connects to it must hang, not fail.

use std::time::Duration;

use runnel_testkit::tarpit;
use tokio::net::TcpStream;

#[tokio::test]
async fn connect_to_the_tarpit_hangs() {
    let pit = tarpit();
    assert_eq!(pit.url, format!("http://{}", pit.addr));
    assert!(pit.addr.ip().is_loopback());
    let attempt = tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(pit.addr)).await;
    assert!(attempt.is_err(), "connect completed: {attempt:?}");
}

#[tokio::test]
async fn tarpits_are_independent() {
    let (a, b) = (tarpit(), tarpit());
    assert_ne!(a.addr, b.addr);
    let attempt = tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(b.addr)).await;
    assert!(attempt.is_err(), "connect completed: {attempt:?}");
}
