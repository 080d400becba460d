//! TLS for the fake server: a self-signed certificate for `127.0.0.1` and `localhost`, made
//! fresh for each server, and the acceptor that serves it.

use tokio::net::TcpStream;
use tokio_native_tls::{TlsAcceptor, TlsStream};

/// A server identity: the certificate a client must trust, and the acceptor that presents it.
pub(crate) struct Identity {
    /// The certificate, PEM-encoded: the client's one root for this server.
    pub certificate_pem: String,
    acceptor: TlsAcceptor,
}

impl Identity {
    /// A fresh self-signed certificate (ECDSA P-256) for `127.0.0.1` and `localhost`.
    pub fn generate() -> Identity {
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let certified = rcgen::generate_simple_self_signed(names).expect("generate a test certificate");
        let certificate_pem = certified.cert.pem();
        let key_pem = certified.signing_key.serialize_pem();
        let identity = native_tls::Identity::from_pkcs8(certificate_pem.as_bytes(), key_pem.as_bytes())
            .expect("a generated certificate and key make an identity");
        let acceptor = native_tls::TlsAcceptor::new(identity).expect("a TLS acceptor for the test identity");
        Identity {
            certificate_pem,
            acceptor: TlsAcceptor::from(acceptor),
        }
    }

    /// Runs the server side of the handshake on `stream`.
    pub async fn accept(&self, stream: TcpStream) -> Result<TlsStream<TcpStream>, native_tls::Error> {
        self.acceptor.accept(stream).await
    }
}
