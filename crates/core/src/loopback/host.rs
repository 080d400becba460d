//! Which `Host` a loopback server answers. A web page can reach a server on 127.0.0.1 under a
//! name of its own (DNS rebinding: `evil.example` first resolves to the attacker, then to
//! 127.0.0.1), and the browser then sends that name as the `Host`. Answering only the loopback
//! names closes that road: a page that names 127.0.0.1 itself is cross-origin and cannot read
//! the answer.

/// The names a loopback server answers to, port aside (compared without case for `localhost`).
const NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// True when `host` (a `Host` header's value) is `127.0.0.1`, `localhost` or `[::1]`, with or
/// without a port.
pub(crate) fn is_loopback(host: &str) -> bool {
    let Some((name, port)) = split_port(host.trim()) else {
        return false;
    };
    let port_ok = port.is_none_or(|port| (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit()));
    port_ok && NAMES.iter().any(|known| name.eq_ignore_ascii_case(known))
}

/// `name[:port]` or `[v6][:port]` → the name (without brackets) and the port, if any. `None`
/// for an IPv6 literal without its closing bracket or with anything but a port after it.
fn split_port(host: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            after => Some(after.strip_prefix(':')?),
        };
        // Only a bracketed literal may hold colons; `[localhost]` is no IPv6 literal.
        return inside.contains(':').then_some((inside, port));
    }
    Some(match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    })
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_loopback_names_pass_with_or_without_a_port() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:8765",
            "localhost",
            "LocalHost:1",
            "[::1]",
            "[::1]:65535",
            " 127.0.0.1:80 ",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "",
            "evil.example",
            "127.0.0.1.evil.example",
            "127.0.0.1.evil.example:8765",
            "localhost.evil.example",
            "evil.example:127.0.0.1",
            "127.0.0.2",
            "0.0.0.0",
            "::1",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[localhost]",
            "127.0.0.1:",
            "127.0.0.1:80:80",
            "127.0.0.1:123456",
            "127.0.0.1:8o",
            "127.0.0.1 evil.example",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
