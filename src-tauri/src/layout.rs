//! The window's panels across restarts: the sidebar's width and whether it is open, and the
//! stream inspector's width, kept in the settings table. Widths are bounded ([`SIDEBAR_WIDTH`],
//! [`INSPECTOR_WIDTH`]): the page keeps its splitters inside them and `set_layout` refuses
//! anything else; a stored value out of bounds or unreadable reads as the default (`None`: the
//! page's own width).

use std::ops::RangeInclusive;

use crate::error::{AppError, AppResult};
use crate::ipc_types::Layout;
use crate::store::Store;

/// The sidebar's widths, in CSS pixels.
pub const SIDEBAR_WIDTH: RangeInclusive<u32> = 180..=480;

/// The inspector's widths, in CSS pixels.
pub const INSPECTOR_WIDTH: RangeInclusive<u32> = 280..=900;

const SIDEBAR_WIDTH_KEY: &str = "layout.sidebar_width";
const SIDEBAR_OPEN_KEY: &str = "layout.sidebar_open";
const INSPECTOR_WIDTH_KEY: &str = "layout.inspector_width";

/// The layout as stored; a value missing, unreadable or out of bounds is the default.
pub fn read(store: &Store) -> AppResult<Layout> {
    let width = |key: &str, bounds: &RangeInclusive<u32>| -> AppResult<Option<u32>> {
        Ok(store
            .setting(key)?
            .and_then(|value| value.parse().ok())
            .filter(|width| bounds.contains(width)))
    };
    Ok(Layout {
        sidebar_width: width(SIDEBAR_WIDTH_KEY, &SIDEBAR_WIDTH)?,
        sidebar_open: store.setting(SIDEBAR_OPEN_KEY)?.as_deref() != Some("false"),
        inspector_width: width(INSPECTOR_WIDTH_KEY, &INSPECTOR_WIDTH)?,
    })
}

/// Stores `layout` after checking its widths; returns it as stored.
pub fn save(store: &Store, layout: &Layout) -> AppResult<Layout> {
    let check = |what: &str, width: Option<u32>, bounds: &RangeInclusive<u32>| match width {
        Some(width) if !bounds.contains(&width) => Err(AppError::InvalidInput(format!(
            "the {what} can be {} to {} pixels wide, not {width}",
            bounds.start(),
            bounds.end()
        ))),
        _ => Ok(width.map(|width| width.to_string()).unwrap_or_default()),
    };
    let sidebar = check("sidebar", layout.sidebar_width, &SIDEBAR_WIDTH)?;
    let inspector = check("stream inspector", layout.inspector_width, &INSPECTOR_WIDTH)?;
    store.set_setting(SIDEBAR_WIDTH_KEY, &sidebar)?;
    store.set_setting(SIDEBAR_OPEN_KEY, if layout.sidebar_open { "true" } else { "false" })?;
    store.set_setting(INSPECTOR_WIDTH_KEY, &inspector)?;
    read(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(sidebar_width: Option<u32>, sidebar_open: bool, inspector_width: Option<u32>) -> Layout {
        Layout {
            sidebar_width,
            sidebar_open,
            inspector_width,
        }
    }

    #[test]
    fn a_new_store_has_the_default_layout() {
        let store = Store::in_memory().unwrap();
        assert_eq!(read(&store).unwrap(), layout(None, true, None));
    }

    #[test]
    fn a_layout_is_kept() {
        let store = Store::in_memory().unwrap();
        let wanted = layout(Some(320), false, Some(600));
        assert_eq!(save(&store, &wanted).unwrap(), wanted);
        assert_eq!(read(&store).unwrap(), wanted);
        let back = layout(None, true, Some(280));
        assert_eq!(save(&store, &back).unwrap(), back);
    }

    #[test]
    fn widths_out_of_bounds_are_refused_and_change_nothing() {
        let store = Store::in_memory().unwrap();
        let kept = layout(Some(300), true, Some(500));
        save(&store, &kept).unwrap();
        for bad in [
            layout(Some(179), true, None),
            layout(Some(481), true, None),
            layout(None, true, Some(10_000)),
        ] {
            let error = save(&store, &bad).unwrap_err();
            assert!(matches!(error, AppError::InvalidInput(_)), "{error}");
            assert!(error.to_string().contains("pixels wide"), "{error}");
            assert_eq!(read(&store).unwrap(), kept);
        }
    }

    #[test]
    fn stored_nonsense_reads_as_the_default() {
        let store = Store::in_memory().unwrap();
        store.set_setting(SIDEBAR_WIDTH_KEY, "wide").unwrap();
        store.set_setting(INSPECTOR_WIDTH_KEY, "99999").unwrap();
        store.set_setting(SIDEBAR_OPEN_KEY, "maybe").unwrap();
        assert_eq!(read(&store).unwrap(), layout(None, true, None));
    }
}
