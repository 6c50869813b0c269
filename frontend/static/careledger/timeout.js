// The GOV.UK timeout warning: two minutes before a signed-in session ends, a dialog says so
// and offers to stay signed in (which asks the server to keep the session) or to sign out.
// When the time is up the page goes to the signed-out page. The server ends the session
// itself either way (SESSION_COOKIE_AGE): this only warns.
const dialog = document.getElementById("timeout-warning");
if (dialog && typeof dialog.showModal === "function") {
  // The time left now, and the session's whole age (what "Stay signed in" gives it again).
  const age = Number(dialog.dataset.age || dialog.dataset.seconds);
  const warnBefore = Math.min(120, Math.floor(age / 2));
  const left = dialog.querySelector("[data-left]");
  let warnTimer, endTimer, tick;

  const minutes = (s) => (s >= 60 ? `${Math.ceil(s / 60)} minute${Math.ceil(s / 60) > 1 ? "s" : ""}` : `${s} seconds`);

  function start(seconds) {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    clearInterval(tick);
    warnTimer = setTimeout(warn, Math.max(0, seconds - warnBefore) * 1000);
    endTimer = setTimeout(() => window.location.assign(dialog.dataset.signedOut), seconds * 1000);
  }

  function warn() {
    let remaining = warnBefore;
    left.textContent = minutes(remaining);
    dialog.showModal();
    tick = setInterval(() => {
      remaining -= 1;
      if (remaining > 0 && remaining % 60 === 0) left.textContent = minutes(remaining);
    }, 1000);
  }

  dialog.querySelector("[data-stay]").addEventListener("click", async () => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    const answer = await fetch(dialog.dataset.keepAlive, {
      method: "POST",
      headers: { "X-CSRFToken": token ? token.value : "" },
      credentials: "same-origin",
    });
    if (answer.ok) {
      dialog.close();
      start(age);
    } else {
      window.location.assign(dialog.dataset.signedOut);
    }
  });
  dialog.addEventListener("cancel", (event) => event.preventDefault()); // Esc: choose a button
  start(Number(dialog.dataset.seconds));
}
