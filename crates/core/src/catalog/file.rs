//! The providers file (`RUNNEL_PROVIDERS_FILE`): a JSON array of provider definitions, read with
//! a bound, and every mistake named with its place.

use std::path::Path;

use super::{Origin, ProviderDef};

/// The largest providers file read: a list of endpoints is a few KiB; a path to `/dev/zero` or a
/// log file must not fill memory.
pub const MAX_PROVIDERS_FILE: u64 = 1 << 20;

/// Why a providers file could not be used, and where in it (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ProvidersFileError {
    /// The line of the mistake, when it has one.
    pub line: Option<usize>,
    /// Its column.
    pub column: Option<usize>,
    /// What is wrong, without the position.
    pub reason: String,
}

impl ProvidersFileError {
    /// A mistake that is not at one place of the file.
    pub fn unplaced(reason: String) -> Self {
        Self {
            line: None,
            column: None,
            reason,
        }
    }
}

/// Reads a providers file (at most [`MAX_PROVIDERS_FILE`] bytes). Its entries are
/// [`ProviderDef`]s; only `id` and `base_url` are needed, but for an entry that only writes
/// `prices` (and `prices_as_of`) for a built-in provider ([`Catalog::extend`](super::Catalog::extend)).
pub fn read_providers_file(path: &Path) -> Result<Vec<ProviderDef>, ProvidersFileError> {
    let unreadable = |error: std::io::Error| ProvidersFileError::unplaced(error.to_string());
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_PROVIDERS_FILE + 1), &mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PROVIDERS_FILE {
        return Err(ProvidersFileError::unplaced(format!(
            "the file is larger than {} KiB; a providers file lists endpoints",
            MAX_PROVIDERS_FILE >> 10
        )));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| ProvidersFileError::unplaced("the file is not UTF-8 text".into()))?;
    let defs: Vec<ProviderDef> = serde_json::from_str(&text).map_err(|error| {
        // serde_json ends its message with the position, which is reported apart.
        let position = format!(" at line {} column {}", error.line(), error.column());
        let message = error.to_string();
        ProvidersFileError {
            line: Some(error.line()),
            column: Some(error.column()),
            reason: message.strip_suffix(&position).unwrap_or(&message).to_owned(),
        }
    })?;
    defs.into_iter()
        .map(|def| {
            let def = def.checked().map_err(ProvidersFileError::unplaced)?;
            if def.base_url.is_empty() && !def.is_price_list() {
                return Err(ProvidersFileError::unplaced(format!("`{}` needs a `base_url`", def.id)));
            }
            Ok(ProviderDef {
                origin: Origin::File,
                ..def
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_providers_file_past_its_limit_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.json");
        std::fs::write(&path, vec![b' '; MAX_PROVIDERS_FILE as usize + 1]).unwrap();
        let error = read_providers_file(&path).unwrap_err();
        assert!(error.reason.contains("larger than 1024 KiB"), "{error}");
        assert_eq!((error.line, error.column), (None, None));
        // `/dev/zero` never ends: the read stops at the limit.
        let error = read_providers_file(Path::new("/dev/zero")).unwrap_err();
        assert!(error.reason.contains("larger than"), "{error}");
        std::fs::write(&path, b"[]").unwrap();
        assert!(read_providers_file(&path).unwrap().is_empty());
    }

    #[test]
    fn entries_are_checked_and_placed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.json");
        std::fs::write(
            &path,
            r#"[{"id": "box", "base_url": "http://10.0.0.5:8000/v1/", "key_required": true}]"#,
        )
        .unwrap();
        let defs = read_providers_file(&path).unwrap();
        assert_eq!(
            (defs[0].name.as_str(), defs[0].base_url.as_str(), defs[0].origin),
            ("box", "http://10.0.0.5:8000/v1", Origin::File)
        );
        assert!(defs[0].key_required && defs[0].takes_key());
        std::fs::write(
            &path,
            r#"[{"id": "box", "protocol": "gopher", "base_url": "http://h"}]"#,
        )
        .unwrap();
        let error = read_providers_file(&path).unwrap_err();
        assert!(error.reason.contains("unknown protocol `gopher`"), "{error}");
        std::fs::write(&path, "[{\"id\": \"box\",\n \"models\": 3}]").unwrap();
        let error = read_providers_file(&path).unwrap_err();
        assert_eq!(error.line, Some(2), "{error}");
        std::fs::write(&path, r#"[{"id": "box", "base_url": "ftp://h"}]"#).unwrap();
        assert!(
            read_providers_file(&path)
                .unwrap_err()
                .reason
                .contains("not an http(s)")
        );
        std::fs::write(&path, r#"[{"id": "box"}]"#).unwrap();
        assert!(
            read_providers_file(&path)
                .unwrap_err()
                .reason
                .contains("needs a `base_url`")
        );
    }

    #[test]
    fn a_bad_price_or_date_is_left_out_and_named_and_the_rest_of_the_file_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.json");
        std::fs::write(
            &path,
            r#"[{"id": "box", "base_url": "http://h/v1", "models": ["a", "b"], "prices_as_of": "2025-02-30",
                 "prices": {"a": {"input": 1, "output": 2, "reasoning": 3}, "b": {"input": -0.5, "output": 1}}},
                {"id": "tub", "base_url": "http://t/v1", "prices_as_of": "2025-09-15", "prices": {"c": {"input": 0, "output": 0}}}]"#,
        )
        .unwrap();
        let defs = read_providers_file(&path).unwrap();
        let mut catalog = crate::Catalog::builtin();
        catalog.extend(defs).unwrap();
        let box_ = catalog.get("box").unwrap();
        assert_eq!(box_.price("a").map(|price| price.reasoning), Some(Some(3.0)));
        assert_eq!(box_.price("b"), None, "a negative price is left out, never guessed");
        assert_eq!(box_.prices_as_of, None);
        assert_eq!(catalog.get("tub").unwrap().prices_as_of.as_deref(), Some("2025-09-15"));
        assert_eq!(
            catalog.price_problems(),
            [
                "`box`: the price of `b`: the input price must not be negative (it is -0.5)",
                "`box`: `prices_as_of` must be a date written YYYY-MM-DD, not `2025-02-30`",
            ]
        );
        std::fs::write(&path, r#"[{"id": "box", "base_url": "http://h/v1", "prices": []}]"#).unwrap();
        assert!(
            read_providers_file(&path)
                .unwrap_err()
                .reason
                .contains("expected a map"),
            "`prices` itself must be a map"
        );
    }

    #[test]
    fn an_entry_of_prices_alone_prices_a_built_in_provider_over_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.json");
        std::fs::write(
            &path,
            r#"[{"id": "openai", "prices_as_of": "2026-11-02",
                 "prices": {"gpt-4o": {"input": 2, "output": 8}, "my-tune": {"input": 1, "output": 4}}}]"#,
        )
        .unwrap();
        let mut catalog = crate::Catalog::builtin();
        let built_in = catalog.get("openai").unwrap().clone();
        catalog.extend(read_providers_file(&path).unwrap()).unwrap();
        let openai = catalog.get("openai").unwrap();
        assert_eq!(openai.price("gpt-4o").map(|price| price.input), Some(2.0));
        assert_eq!(openai.price("my-tune").map(|price| price.output), Some(4.0));
        assert_eq!(
            openai.price("gpt-4o-mini"),
            built_in.price("gpt-4o-mini"),
            "the others stay"
        );
        assert_eq!(openai.prices_as_of.as_deref(), Some("2026-11-02"));
        assert_eq!(
            (openai.base_url.as_str(), openai.origin),
            (built_in.base_url.as_str(), built_in.origin),
            "only its prices change"
        );

        std::fs::write(
            &path,
            r#"[{"id": "nobody", "prices": {"m": {"input": 1, "output": 1}}}]"#,
        )
        .unwrap();
        let error = catalog.extend(read_providers_file(&path).unwrap()).unwrap_err();
        assert!(error.reason.contains("`nobody` needs a `base_url`"), "{error}");
        std::fs::write(&path, r#"[{"id": "openai", "base_url": "http://h/v1"}]"#).unwrap();
        let error = catalog.extend(read_providers_file(&path).unwrap()).unwrap_err();
        assert!(error.reason.contains("is taken"), "{error}");
    }
}
