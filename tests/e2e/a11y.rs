//! What a screen reader gets of the real window: its accessibility tree read over AT-SPI (the
//! `atspi` crate on the accessibility bus that at-spi2-core's launcher starts, on demand, on the
//! test's D-Bus session), as WebKitGTK exposes the page. The transcript is a log, busy while an
//! answer streams; the status region says "Answering with MODEL…", then "Stopped" or "Answer
//! complete"; the controls have names. GTK and WebKit expose their trees without an assistive
//! technology saying it runs, so `org.a11y.Status.IsEnabled` stays as it is and the other tests'
//! apps in the same session run as usual. The walk reads only the applications this test's app
//! process serves: the chat scenarios' shared app may be on the same bus.

use std::time::{Duration, Instant};

use atspi::proxy::accessible::AccessibleProxy;
use atspi::proxy::text::TextProxy;
use atspi::zbus::{self, Connection, proxy::CacheProperties, zvariant::OwnedObjectPath};
use atspi::{AccessibilityConnection, Role, State};
use runnel_testkit::{Reply, fixture};

use crate::app::{App, Launch};
use crate::chat::endless;
use crate::fakes::{Fakes, GPT, OPENAI_CHAT};
use crate::{alone, procs, ui};

/// The most nodes one walk of the tree visits (the window has a few hundred).
const MAX_NODES: usize = 5000;
/// The AT-SPI interface every node has.
const ACCESSIBLE: &str = "org.a11y.atspi.Accessible";

/// A node's address: the bus name of the process that serves it, and its path. WebKit's page
/// is served under a well-known bus name, which `atspi`'s `ObjectRef` (a unique name only)
/// cannot hold, so the walk keeps addresses as D-Bus gives them.
type Address = (String, OwnedObjectPath);

/// One node of the tree: its address, role, name, whether it is busy and its ARIA role.
#[derive(Debug, Clone)]
struct Node {
    address: Address,
    role: Role,
    name: String,
    busy: bool,
    xml_role: String,
}

/// The node at `address` through its Accessible interface.
async fn accessible<'a>(conn: &'a Connection, address: &Address) -> Option<AccessibleProxy<'a>> {
    AccessibleProxy::builder(conn)
        .destination(address.0.clone())
        .ok()?
        .path(address.1.clone())
        .ok()?
        .cache_properties(CacheProperties::No)
        .build()
        .await
        .ok()
}

/// Calls `method` of the node's Accessible interface and reads its answer as `T`.
async fn call<T: serde::de::DeserializeOwned + zbus::zvariant::Type>(
    conn: &Connection,
    address: &Address,
    method: &str,
    args: &(impl serde::Serialize + zbus::zvariant::DynamicType),
) -> Option<T> {
    let reply = conn
        .call_method(
            Some(address.0.as_str()),
            address.1.as_str(),
            Some(ACCESSIBLE),
            method,
            args,
        )
        .await
        .ok()?;
    reply.body().deserialize::<T>().ok()
}

/// A node's children. GetChildren of the GTK side's socket (at-spi2-atk) leaves out the page
/// WebKit embedded in it, which only GetChildAtIndex gives (its ChildCount counts it).
async fn children_of(conn: &Connection, address: &Address, count: i32) -> Vec<Address> {
    let children: Vec<Address> = call(conn, address, "GetChildren", &()).await.unwrap_or_default();
    if children.len() >= usize::try_from(count).unwrap_or(0) {
        return children;
    }
    let mut all = Vec::new();
    for index in 0..count {
        if let Some(child) = call::<Address>(conn, address, "GetChildAtIndex", &(index,)).await {
            all.push(child);
        }
    }
    all
}

/// The applications under the registry that process `pid` serves. Other apps may be on the
/// same accessibility bus (the chat scenarios' shared app stays up between tests).
async fn applications_of(conn: &Connection, pid: u32) -> Vec<Address> {
    let registry: Address = (
        "org.a11y.atspi.Registry".into(),
        OwnedObjectPath::try_from("/org/a11y/atspi/accessible/root").expect("a path"),
    );
    let bus = zbus::fdo::DBusProxy::new(conn).await.expect("the bus's own interface");
    let mut ours = Vec::new();
    for application in children_of(conn, &registry, 0).await {
        let Ok(name) = zbus::names::BusName::try_from(application.0.as_str()) else {
            continue;
        };
        if bus.get_connection_unix_process_id(name).await == Ok(pid) {
            ours.push(application);
        }
    }
    ours
}

/// Every node of app `pid`'s applications (its windows and, through WebKit's socket, the page),
/// depth first, up to [`MAX_NODES`].
async fn walk(a11y: &AccessibilityConnection, pid: u32) -> Vec<Node> {
    let conn = a11y.connection();
    let mut stack = applications_of(conn, pid).await;
    let mut nodes = Vec::new();
    while let Some(address) = stack.pop() {
        if nodes.len() >= MAX_NODES || address.1.as_str() == "/org/a11y/atspi/null" {
            continue;
        }
        // An object can go away while it is read (the page changes): skip it.
        let Some(proxy) = accessible(conn, &address).await else {
            continue;
        };
        let (Ok(role), Ok(name)) = (proxy.get_role().await, proxy.name().await) else {
            continue;
        };
        let busy = proxy.get_state().await.is_ok_and(|s| s.contains(State::Busy));
        let xml_role = proxy
            .get_attributes()
            .await
            .ok()
            .and_then(|a| a.get("xml-roles").cloned())
            .unwrap_or_default();
        let count = proxy.child_count().await.unwrap_or(0);
        stack.extend(children_of(conn, &address, count).await.into_iter().rev());
        nodes.push(Node {
            address,
            role,
            name,
            busy,
            xml_role,
        });
    }
    nodes
}

/// The node's text (its Text interface), or "" when it has none.
async fn text_of(a11y: &AccessibilityConnection, node: &Node) -> String {
    let conn = a11y.connection();
    let Ok(builder) = TextProxy::builder(conn).destination(node.address.0.clone()) else {
        return String::new();
    };
    let Ok(builder) = builder.path(node.address.1.clone()) else {
        return String::new();
    };
    let Ok(text) = builder.cache_properties(CacheProperties::No).build().await else {
        return String::new();
    };
    text.get_text(0, -1)
        .await
        .unwrap_or_default()
        .replace('\u{fffc}', "")
        .trim()
        .to_owned()
}

/// A walk's nodes of `role` (or whose ARIA role is `xml_role`).
fn having(nodes: &[Node], role: Role, xml_role: &str) -> Vec<Node> {
    nodes
        .iter()
        .filter(|n| n.role == role || n.xml_role == xml_role)
        .cloned()
        .collect()
}

/// Waits until the tree has the page's status region and returns the last walk with it.
async fn page_tree(a11y: &AccessibilityConnection, pid: u32) -> Vec<Node> {
    let deadline = Instant::now() + ui::UI_TIMEOUT;
    loop {
        let nodes = walk(a11y, pid).await;
        if !having(&nodes, Role::StatusBar, "status").is_empty() && !having(&nodes, Role::Log, "log").is_empty() {
            return nodes;
        }
        assert!(
            Instant::now() < deadline,
            "no status region and log in the accessibility tree after {:?}; it has {} nodes: {:?}",
            ui::UI_TIMEOUT,
            nodes.len(),
            nodes
                .iter()
                .take(60)
                .map(|n| format!("{} {:?}", n.role.name(), n.name))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the status region's text is one `wanted` accepts, and returns it.
async fn status_says(
    a11y: &AccessibilityConnection,
    status: &Node,
    wanted: impl Fn(&str) -> bool,
    what: &str,
) -> String {
    let deadline = Instant::now() + ui::ANSWER_TIMEOUT;
    let mut heard = Vec::new();
    loop {
        let text = text_of(a11y, status).await;
        if wanted(&text) {
            return text;
        }
        if heard.last() != Some(&text) {
            heard.push(text);
        }
        assert!(
            Instant::now() < deadline,
            "the status region never said {what}; it said {heard:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The names of a walk's buttons (toggle buttons and buttons that open a popup too).
fn button_names(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| matches!(n.role, Role::Button | Role::ToggleButton | Role::PushButtonMenu))
        .map(|n| n.name.clone())
        .collect()
}

#[test]
#[ignore = "needs a display, tauri-driver, a Secret Service and at-spi2-core: scripts/test runs it"]
fn accessibility_tree_has_the_log_the_status_and_named_controls() {
    alone(async || {
        let a11y = AccessibilityConnection::new()
            .await
            .expect("a connection to the accessibility bus");
        let fakes = Fakes::start().await;
        let app = App::launch(Launch {
            name: "a11y",
            providers: Some(fakes.providers_file()),
            env: vec![],
        })
        .await;
        let wd = &app.wd;
        let pid = procs::app_tree(&app.data_dir())[0];
        ui::choose_model(wd, GPT).await;

        let idle = page_tree(&a11y, pid).await;
        let buttons = button_names(&idle);
        for name in [
            "Send (Enter)",
            "Settings",
            "New conversation",
            "Compare models",
            "Toggle the sidebar",
        ] {
            assert!(
                buttons.iter().any(|b| b == name),
                "a button named {name:?} in {buttons:?}"
            );
        }
        // A button with a popup (aria-haspopup): WebKit says "combo box".
        let picker: Vec<&Node> = idle.iter().filter(|n| n.name.starts_with("Model: ")).collect();
        assert!(
            picker.iter().any(|n| n.name.contains("gpt-fake")
                && matches!(n.role, Role::ComboBox | Role::PushButtonMenu | Role::Button)),
            "the model picker names the model: {picker:?}"
        );
        assert!(
            idle.iter().any(|n| n.name == "Message"),
            "the composer is named Message"
        );
        let logs = having(&idle, Role::Log, "log");
        assert_eq!(logs.len(), 1, "one log: {logs:?}");
        assert_eq!(logs[0].name, "Conversation");
        assert!(!logs[0].busy, "the log is not busy before an answer");
        let status = having(&idle, Role::StatusBar, "status")
            .into_iter()
            .next()
            .expect("a status region");

        // An answer that goes on until it is stopped.
        fakes.openai.route(OPENAI_CHAT, endless());
        ui::send(wd, "Count for a long time").await;
        let said = status_says(&a11y, &status, |t| t.starts_with("Answering with"), "Answering with …").await;
        assert!(said.contains("gpt-fake"), "it names the model: {said:?}");
        let streaming = walk(&a11y, pid).await;
        assert!(
            having(&streaming, Role::Log, "log").iter().all(|n| n.busy),
            "the log is busy while the answer streams"
        );
        let buttons = button_names(&streaming);
        assert!(
            buttons.iter().any(|b| b == "Stop (Esc)"),
            "a Stop button while streaming: {buttons:?}"
        );
        ui::click_stop(wd).await;
        status_says(&a11y, &status, |t| t == "Stopped", "Stopped").await;

        // A short answer that finishes.
        fakes.openai.route(OPENAI_CHAT, Reply::sse(fixture("openai_text.sse")));
        ui::send(wd, "Say hello").await;
        status_says(&a11y, &status, |t| t == "Answer complete", "Answer complete").await;
        let done = walk(&a11y, pid).await;
        assert!(
            having(&done, Role::Log, "log").iter().all(|n| !n.busy),
            "the log is not busy once the answer is complete"
        );
        app.quit().await;
    });
}
