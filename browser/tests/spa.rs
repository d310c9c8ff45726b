//! Steps of single-page apps that load no new document: done when the expected element is
//! shown, no busy indicator remains and the network has been quiet.

mod common;

use std::time::{Duration, Instant};

use browser::locator::{Locator, LocatorError, Role, Settle, wait_until_settled};
use common::{Route, Server, with_browser};

async fn server() -> Server {
    Server::start(vec![
        ("/", Route::html(include_str!("fixtures/spa.html"))),
        (
            "/api/step2",
            Route::json(r#"{"title":"Étape 2 — Formation"}"#).after(Duration::from_millis(500)),
        ),
        (
            "/api/save",
            Route::json("{}").after(Duration::from_millis(400)),
        ),
        ("/api/slow", Route::json("{}").after(Duration::from_secs(2))),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_settles_when_its_heading_shows_the_spinner_is_gone_and_the_network_is_quiet() {
    let server = server().await;
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        page.goto(&server.url("/")).await.unwrap();
        let step2 = Locator::role(Role::Heading, "Étape 2 — Formation");
        let start = Instant::now();
        Locator::button("Étape suivante")
            .click_and_settle(&page, &Settle::until(step2.clone()))
            .await
            .unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(500),
            "it waited for the API"
        );
        assert_eq!(step2.count(&page).await.unwrap(), 1);
        assert_eq!(
            page.evaluate("document.querySelectorAll('[role=progressbar]').length")
                .await
                .unwrap(),
            0
        );
        assert_eq!(page.evaluate("location.hash").await.unwrap(), "#/formation");

        // Nothing changes on screen while saving: only the network says the step is not done.
        Locator::button("Enregistrer")
            .click_and_settle(&page, &Settle::quiet())
            .await
            .unwrap();
        assert_eq!(page.evaluate("window.saved === true").await.unwrap(), true);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_does_not_settle_says_what_was_awaited_and_what_is_still_busy() {
    let server = server().await;
    with_browser(|browser| async move {
        let page = browser.new_page().await.unwrap();
        page.goto(&server.url("/")).await.unwrap();

        // A spinner that stays, and a heading that never comes.
        let step3 = Locator::role(Role::Heading, "Étape 3 — Pièces");
        let e = Locator::button("Étape bloquée")
            .click_and_settle(
                &page,
                &Settle::until(step3).within(Duration::from_millis(800)),
            )
            .await
            .unwrap_err();
        let LocatorError::NotSettled { still, .. } = &e else {
            panic!("{e:?}")
        };
        let msg = e.to_string();
        assert!(msg.contains("heading «Étape 3 — Pièces»"), "{msg}");
        assert!(
            still
                .iter()
                .any(|s| s.contains("progress") && s.contains("Chargement")),
            "{still:?}"
        );
        assert!(e.is_retryable());

        // A request still in flight, named without its query string; a caller's own spinner.
        page.evaluate(
            "document.querySelectorAll('[role=progressbar]').forEach(s => s.remove()); true",
        )
        .await
        .unwrap();
        Locator::button("Actualiser")
            .mouse_click(&page)
            .await
            .unwrap();
        let e = wait_until_settled(
            &page,
            &Settle::quiet()
                .busy_while("#app h1")
                .within(Duration::from_millis(800)),
        )
        .await
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!(
                "1 request(s) in flight: {}",
                server.url("/api/slow")
            )),
            "{msg}"
        );
        assert!(!msg.contains("since=1"), "{msg}");
        assert!(
            msg.contains("#app h1 <h1 role=\"heading\"> «Étape 1 — Stagiaire»"),
            "{msg}"
        );
    })
    .await;
}
