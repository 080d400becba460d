//! `runnel keys set|status|delete PROVIDER`: API keys in the OS keychain. A key is read from
//! stdin or a hidden prompt, never from the command line, and is never printed.

use std::io::{IsTerminal, Read};

use clap::{Args, Subcommand};
use runnel_core::keys::{env_key, origin_of};
use runnel_core::resolve::base_url_for;
use runnel_core::{ApiKey, KeyStore, ProviderDef, StoredKey};

use crate::failure::Failure;
use crate::select::{catalog, keychain, known};

/// Arguments of `runnel keys`.
#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Store a key (read from stdin, or a hidden prompt) for a provider.
    Set {
        /// The provider.
        provider: String,
        /// The base URL the key is for (the provider's own by default); it is sent nowhere else.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Show which providers have a key, where it comes from, and which env var each reads.
    Status {
        /// One provider (all that take keys when omitted).
        provider: Option<String>,
    },
    /// Delete a provider's key from the keychain.
    Delete {
        /// The provider.
        provider: String,
    },
}

pub async fn run(args: KeysArgs) -> Result<u8, Failure> {
    tokio::task::spawn_blocking(move || match args.action {
        Action::Set { provider, base_url } => set(&provider, base_url.as_deref()),
        Action::Status { provider } => status(provider.as_deref()),
        Action::Delete { provider } => delete(&provider),
    })
    .await
    .map_err(|error| error.to_string())?
}

fn set(provider: &str, base_url: Option<&str>) -> Result<u8, Failure> {
    let def = known(provider)?;
    if !def.takes_key() {
        return Err(Failure::Usage(format!("{} takes no API key", def.name)));
    }
    let base_url = base_url_for(def, base_url).map_err(|error| error.to_string())?;
    let origin = origin_of(&base_url).ok_or_else(|| format!("`{base_url}` has no host"))?;
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for {} ({origin}): ", def.name))
            .map_err(|error| error.to_string())?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| format!("cannot read the key from stdin: {error}"))?;
        text
    };
    let stored = StoredKey {
        key: ApiKey::new(key),
        origin: origin.clone(),
    };
    keychain().set(&def.id, &stored).map_err(|error| error.to_string())?;
    println!("{}: key stored in the OS keychain for {origin}", def.id);
    Ok(0)
}

fn status(provider: Option<&str>) -> Result<u8, Failure> {
    let defs: Vec<&ProviderDef> = match provider {
        Some(provider) => vec![known(provider)?],
        None => catalog()
            .all()
            .iter()
            .filter(|def| def.key_env_vars().next().is_some() || def.key_required)
            .collect(),
    };
    let store = keychain();
    for def in defs {
        let from_env = def.key_env_in_use().filter(|var| env_key(var).is_some());
        let vars: Vec<&str> = def.key_env_vars().collect();
        let reads = match vars.is_empty() {
            false => format!("reads {}, then the OS keychain", vars.join(", then ")),
            true => "reads only the OS keychain".to_owned(),
        };
        let line = match (from_env, store.get(&def.id)) {
            (Some(var), _) => format!("key from {var}"),
            (None, Ok(Some(stored))) => format!("key set in the OS keychain for {}; {reads}", stored.origin),
            (None, Ok(None)) => format!("no key; {reads}"),
            (None, Err(error)) => format!("unknown ({error}); {reads}"),
        };
        println!("{}: {line}", def.id);
    }
    Ok(0)
}

fn delete(provider: &str) -> Result<u8, Failure> {
    let def = known(provider)?;
    let deleted = keychain().delete(&def.id).map_err(|error| error.to_string())?;
    println!(
        "{}: {}",
        def.id,
        if deleted { "key deleted" } else { "no key was stored" }
    );
    Ok(0)
}
