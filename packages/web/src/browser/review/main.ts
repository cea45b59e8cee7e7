import { whenUnauthorized } from "./api.js";
import { main } from "./dom.js";
import { installKeys } from "./keys.js";
import { registerViews, route } from "./nav.js";
import { showQueue } from "./queue.js";
import { boot, signOut } from "./session.js";
import { showTask } from "./task.js";

/*
 * The review page's script: a single-page app over the /reviews API, with the reviewer's token. The
 * document holds no task data: everything a task says arrives as JSON and is put into the DOM as text.
 */

registerViews({ showQueue, showTask });
whenUnauthorized((message) => signOut(message));
installKeys();
// The skip link must not change the hash: the hash is the route.
document.getElementById("skip")?.addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
document.getElementById("signout")?.addEventListener("click", () => signOut("You signed out."));
window.addEventListener("hashchange", route);
boot();
