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
  $("output-bot").textContent = String(bot.title || bot.id);
  const card = bot.card ? safeLink(String(bot.card)) : null;
  if (card) {
    $("bot-card").setAttribute("href", card);
    $("bot-card").hidden = false;
  }
  $("bot-consent").textContent = String(bot.consent || "");
}

function configure(env, manifest) {
  if (manifest.local_models) {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    // A path on this page's server: transformers.js joins it with the file's name (a full URL would lose its "//").
    env.localModelPath = withSlash(String(manifest.local_models));
  } else {
    env.allowLocalModels = false;
    env.remoteHost = withSlash(manifest.hub);
  }
  if (manifest.wasm) env.backends.onnx.wasm.wasmPaths = withSlash(new URL(manifest.wasm, document.baseURI).href);
  // One thread: more need cross-origin isolation, which a static Space does not give.
  env.backends.onnx.wasm.numThreads = 1;
}

function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1);
}

function progressReporter() {
  const files = new Map();
  return (event) => {
    if (event.status !== "progress" || !event.total) return;
    files.set(event.file, [event.loaded, event.total]);
    let loaded = 0;
    let total = 0;
    for (const [done, size] of files.values()) {
      loaded += done;
      total += size;
    }
    $("progress").textContent = `Downloading the model: ${megabytes(loaded)} of ${megabytes(total)} MB`;
  };
}

async function loadBot(library, bot) {
  setState("downloading");
  $("progress").textContent = "Downloading the model…";
  const progress_callback = progressReporter();
  const tokenizer = await library.AutoTokenizer.from_pretrained(bot.id, { progress_callback });
  // dtype q8: onnx/model_quantized.onnx; generate() then reads the bot's own generation_config.json.
  const model = await library.AutoModelForCausalLM.from_pretrained(bot.id, {
    dtype: "q8",
    device: "wasm",
    progress_callback,
  });
  $("progress").textContent = "The bot is ready.";
  return { tokenizer, model };
}

async function write(library, loaded, prompt) {
  setState("generating");
  const text = $("output-text");
  text.textContent = "";
  text.dataset.tokens = "";
  $("output").hidden = false;
  $("write").disabled = true;
  const tokens = [];
  let started = 0;
  const streamer = new library.TextStreamer(loaded.tokenizer, {
    skip_prompt: true,
    skip_special_tokens: true,
    callback_function: (piece) => text.append(document.createTextNode(piece)),
    token_callback_function: (ids) => {
      if (!tokens.length) text.dataset.firstTokenMilliseconds = String(Math.round(performance.now() - started));
      tokens.push(...ids.map(String));
    },
  });
  const inputs = loaded.tokenizer(prompt);
  text.dataset.promptTokens = Array.from(inputs.input_ids.data, String).join(",");
  text.append(document.createTextNode(prompt));
  started = performance.now();
  await loaded.model.generate({ ...inputs, streamer });
  text.dataset.tokens = tokens.join(",");
  text.dataset.milliseconds = String(Math.round(performance.now() - started));
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
  const folder = safeLink(withSlash(String(manifest.library)));
  if (!folder) throw new Error("bots.json names no http(s) folder for transformers.js");
  const library = await import(new URL("transformers.min.js", folder).href);
  configure(library.env, manifest);
  const loaded = await loadBot(library, bot);
  const form = $("prompt-form");
  form.hidden = false;
  $("write").disabled = false;
  setState("ready");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    write(library, loaded, $("prompt").value).catch((error) => fail(`The bot stopped: ${error.message}`));
  });
  const prompt = params.get("prompt");
  if (prompt !== null) {
    $("prompt").value = prompt;
    await write(library, loaded, prompt);
  }
}

start().catch((error) => fail(`The page could not start: ${error && error.message ? error.message : error}`));
