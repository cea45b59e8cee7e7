import type { Command } from "commander";

/*
 * `media-pipeline models list | install <name>`: the sherpa-onnx speech models the transcriber can use
 * instead of pocketsphinx, fetched only when a person asks, checked against GitHub's published SHA-256.
 */

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function modelCommands(program: Command): void {
  const models = program.command("models").description("speech-to-text models (sherpa-onnx Whisper or transducer): list them, install one (far better words than pocketsphinx)");
  models
    .command("list")
    .description("the models there are, which are installed and which one the transcriber uses")
    .option("--models-dir <dir>", "where models are unpacked (MEDIA_PIPELINE_MODELS_DIR; default ~/.local/share/media-pipeline/models)")
    .option("--json", "print one JSON object")
    .action(async (o: { modelsDir?: string; json?: boolean }) => {
      const { MODELS, modelsDir, selectedModelDir } = await import("../models/catalog.js");
      const { isInstalled } = await import("../models/install.js");
      const dir = o.modelsDir ?? modelsDir();
      const selected = selectedModelDir(dir);
      const rows = MODELS.map((m) => ({ ...m, installed: isInstalled(dir, m.name), selected: selected?.endsWith(`/${m.name}`) ?? false }));
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ dir, models: rows }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`Models in ${dir}:\n\n`);
      for (const m of rows) {
        const state = m.selected ? "installed, in use" : m.installed ? "installed" : "";
        process.stdout.write(`${m.name.padEnd(26)} ${m.kind.padEnd(10)} ~${String(m.approxMb).padStart(3)} MB  ${m.languages}${state ? `  [${state}]` : ""}\n  ${m.description}\n`);
      }
      process.stdout.write("\nInstall one with: media-pipeline models install <name>\n");
    });
  models
    .command("install")
    .description("download a model from sherpa-onnx's GitHub release, check its SHA-256, unpack it and use it for words")
    .argument("<name>", "a name from `models list`")
    .option("--models-dir <dir>", "where models are unpacked (MEDIA_PIPELINE_MODELS_DIR; default ~/.local/share/media-pipeline/models)")
    .option("--sha256 <hex>", "the archive's checksum, for an asset GitHub publishes no digest for")
    .action(async (name: string, o: { modelsDir?: string; sha256?: string }) => {
      const { MODELS, MODELS_API_ENV, MODELS_DOWNLOAD_ENV, modelsDir } = await import("../models/catalog.js");
      const { installModel, ModelInstallError } = await import("../models/install.js");
      const dir = o.modelsDir ?? modelsDir();
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort());
      let shown = -1;
      try {
        const done = await installModel(name, {
          dir, signal: controller.signal,
          ...(o.sha256 ? { sha256: o.sha256 } : {}),
          ...(process.env[MODELS_API_ENV] ? { api: process.env[MODELS_API_ENV] } : {}),
          ...(process.env[MODELS_DOWNLOAD_ENV] ? { downloads: process.env[MODELS_DOWNLOAD_ENV] } : {}),
          onProgress: (bytes, total) => {
            const pct = total ? Math.floor((bytes / total) * 10) * 10 : -1;
            if (process.stderr.isTTY && pct !== shown) process.stderr.write(`\rdownloading ${name}: ${pct}%`);
            shown = pct;
          },
        });
        if (process.stderr.isTTY) process.stderr.write("\n");
        process.stdout.write(
          `${done.entry.name} installed in ${done.dir} (${(done.bytes / 1e6).toFixed(1)} MB, SHA-256 ${done.sha256}, checked against ${done.checkedAgainst === "given" ? "the checksum given" : "GitHub's published digest"}); the transcriber now uses it\n`,
        );
      } catch (error) {
        if (!(error instanceof ModelInstallError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = name && MODELS.some((m) => m.name === name) ? EXIT.failed : EXIT.usage;
        return;
      }
      process.exitCode = EXIT.ok;
    });
}
