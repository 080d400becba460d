//! The OS keychain for real: a Secret Service (gnome-keyring) on a private D-Bus session.
//! `scripts/test` starts one with a throwaway keyring and runs these with `--run-ignored`; a
//! plain `cargo test` skips them rather than touch a developer's own keychain.

use runnel_core::keys::{KeySource, resolve_key};
use runnel_core::{ApiKey, KeyError, KeyStore, KeychainStore, StoredKey};

const NEEDS: &str = "needs a Secret Service on D-Bus; scripts/test provides one";

#[test]
#[ignore = "needs a Secret Service on D-Bus; scripts/test provides one"]
fn keychain_round_trip_set_get_replace_delete() {
    let store = KeychainStore::new("runnel-test");
    let provider = format!("roundtrip-{}", std::process::id());
    assert_eq!(store.get(&provider).expect(NEEDS), None);

    let key = StoredKey::for_url(ApiKey::new("sk-keychain-round-trip"), "https://api.openai.com").unwrap();
    store.set(&provider, &key).unwrap();
    assert_eq!(store.get(&provider).unwrap(), Some(key));

    let replaced = StoredKey::for_url(ApiKey::new("sk-second"), "http://127.0.0.1:9").unwrap();
    store.set(&provider, &replaced).unwrap();
    assert_eq!(store.get(&provider).unwrap(), Some(replaced));

    // A fresh store object (as after a restart) reads the same entry.
    let (found, source) = resolve_key(
        &KeychainStore::new("runnel-test"),
        &provider,
        None,
        "http://127.0.0.1:9/v1",
    )
    .unwrap()
    .unwrap();
    assert_eq!((found.expose(), source), ("sk-second", KeySource::Keychain));
    assert!(matches!(
        resolve_key(&store, &provider, None, "https://api.openai.com/v1"),
        Err(KeyError::WrongOrigin { .. })
    ));

    assert!(store.delete(&provider).unwrap());
    assert_eq!(store.get(&provider).unwrap(), None);
    assert!(!store.delete(&provider).unwrap());
}

#[tokio::test]
#[ignore = "needs a Secret Service on D-Bus; scripts/test provides one"]
async fn keychain_calls_run_off_the_async_runtime() {
    let provider = format!("blocking-{}", std::process::id());
    let key = StoredKey::for_url(ApiKey::new("sk-off-runtime"), "https://h").unwrap();
    let found = tokio::task::spawn_blocking(move || {
        let store = KeychainStore::new("runnel-test");
        store.set(&provider, &key).unwrap();
        let found = store.get(&provider).unwrap();
        store.delete(&provider).unwrap();
        found
    })
    .await
    .unwrap();
    assert_eq!(found.unwrap().key.expose(), "sk-off-runtime");
}
