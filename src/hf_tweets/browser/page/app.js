// The try-it page: lists the bots of ./bots.json (the manifest, browser/manifest.py) and runs the chosen one in
// this browser with transformers.js. Every string from the manifest, the URL or the model goes into the document
// as text (textContent, or setAttribute on an attribute that runs nothing): never as markup.
//
// URL parameters: ?bot=NAMESPACE/NAME chooses a bot (only one the manifest lists); &prompt=TEXT also writes a post
// from TEXT as soon as the bot is loaded. The body's data-state says where the page is, for people and tests:
// loading, listed, refused, unavailable, downloading, ready, generating, done, error.

const FORMAT = 1;
const $ = (id) => document.getElementById(id);

function setState(state) {
  document.body.dataset.state = state;
}

function fail(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  setState("error");
}

function safeLink(url) {
  try {
    const parsed = new URL(url, document.baseURI);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function withSlash(url) {
  return url.endsWith("/") ? url : url + "/";
}

function botLink(id) {
  const url = new URL(document.location.href);
  url.search = "";
  url.searchParams.set("bot", id);
  return url.href;
}

async function loadManifest() {
  const response = await fetch("./bots.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`bots.json: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.format !== FORMAT || !Array.isArray(manifest.bots)) {
    throw new Error("bots.json is of another format than this page reads; publish the page again");
  }
  return manifest;
}

function listBots(manifest, chosen) {
  const list = $("bot-list");
  for (const bot of manifest.bots) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.setAttribute("href", botLink(String(bot.id)));
    if (bot.id === chosen) link.setAttribute("aria-current", "true");
    const title = document.createElement("strong");
    title.textContent = String(bot.title || bot.id);
    const accounts = document.createElement("div");
    accounts.className = "accounts";
    accounts.textContent = (bot.accounts || []).map(String).join(" · ");
    link.append(title, accounts);
    item.append(link);
    list.append(item);
  }
}

function showBot(bot) {
  $("bot").hidden = false;
  $("bot-title").textContent = String(bot.title || bot.id);
  $("bot-accounts").textContent = (bot.accounts || []).map(String).join(" · ");
  // The label of what the bot writes, in the manifest's words (cards/labels.py owns them); the article's
  // data-machine-generated and data-bot say the same to a machine reading the page.
  $("output-label").textContent = String(bot.label || "");
  $("output").dataset.bot = String(bot.id);
  const card = bot.card ? safeLink(String(bot.card)) : null;
  if (card) {
    $("bot-card").setAttribute("href", card);
    $("bot-card").hidden = false;
  }
  $("bot-consent").textContent = String(bot.consent || "");
}

function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1);
}

// Where the worker finds everything, as absolute URLs (a worker resolves relative ones against its own script).
function whereFrom(manifest, bot) {
  const folder = safeLink(withSlash(String(manifest.library)));
  if (!folder) throw new Error("bots.json names no http(s) folder for transformers.js");
  return {
    library: new URL("transformers.min.js", folder).href,
    bot: String(bot.id),
    local_models: manifest.local_models ? String(manifest.local_models) : null,
    hub: String(manifest.hub || "https://huggingface.co"),
    wasm: manifest.wasm ? safeLink(withSlash(String(manifest.wasm))) : null,
  };
}

// The bot in its worker: load() resolves when the model is ready; write() streams a post into the page.
function startBot(where) {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const text = $("output-text");
  let waiting = null;
  let tokens = [];
  worker.onmessage = ({ data }) => {
    if (data.progress) {
      const [loaded, total] = data.progress;
      $("progress").textContent = `Downloading the model: ${megabytes(loaded)} of ${megabytes(total)} MB`;
    } else if (data.prompt) {
      text.dataset.promptTokens = data.prompt.join(",");
    } else if (data.text !== undefined) {
      text.append(document.createTextNode(data.text));
    } else if (data.tokens) {
      tokens.push(...data.tokens);
      text.dataset.tokens = tokens.join(",");
    } else if (data.ready || data.done) {
      if (data.done) {
        text.dataset.milliseconds = String(Math.round(data.done.milliseconds));
        text.dataset.firstTokenMilliseconds = String(Math.round(data.done.first ?? data.done.milliseconds));
      }
      waiting?.resolve();
    } else if (data.error !== undefined) {
      waiting?.reject(new Error(String(data.error)));
    }
  };
  const ask = (message) =>
    new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      worker.postMessage(message);
    });
  return {
    load: () => ask({ load: where }),
    write: (prompt) => {
      tokens = [];
      text.textContent = "";
      text.dataset.tokens = "";
      delete text.dataset.milliseconds;
      delete text.dataset.firstTokenMilliseconds;
      return ask({ write: prompt });
    },
  };
}

async function write(bot, prompt) {
  setState("generating");
  $("output").hidden = false;
  $("write").disabled = true;
  await bot.write(prompt);
  $("write").disabled = false;
  setState("done");
}

function unavailable(bot) {
  const message = $("no-onnx");
  message.textContent =
    `This bot has no browser copy yet; its owner can add one with: hf-tweets onnx ${bot.id}`;
  message.hidden = false;
  setState("unavailable");
}

async function start() {
  const params = new URLSearchParams(document.location.search);
  const manifest = await loadManifest();
  document.title = String(manifest.title || document.title);
  $("title").textContent = document.title;
  const chosen = params.get("bot");
  listBots(manifest, chosen);
  if (chosen === null) return setState("listed");
  const bot = manifest.bots.find((candidate) => candidate.id === chosen);
  if (!bot) {
    $("error").textContent = `There is no bot "${chosen}" on this page; pick one from the list.`;
    $("error").hidden = false;
    return setState("refused");
  }
  showBot(bot);
  if (!bot.onnx) return unavailable(bot);
  const running = startBot(whereFrom(manifest, bot));
  setState("downloading");
  $("progress").textContent = "Downloading the model…";
  await running.load();
  $("progress").textContent = "The bot is ready.";
  const form = $("prompt-form");
  form.hidden = false;
  $("write").disabled = false;
  setState("ready");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    write(running, $("prompt").value).catch((error) => fail(`The bot stopped: ${error.message}`));
  });
  const prompt = params.get("prompt");
  if (prompt !== null) {
    $("prompt").value = prompt;
    await write(running, prompt);
  }
}

start().catch((error) => fail(`The page could not start: ${error && error.message ? error.message : error}`));
