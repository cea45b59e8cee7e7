export { MODEL_RELEASE, MODELS, MODELS_API_ENV, MODELS_DIR_ENV, MODELS_DOWNLOAD_ENV, modelByName, modelsDir, selectedModelDir, type ModelEntry } from "./catalog.js";
export { installModel, isInstalled, ModelInstallError, type Installed, type InstallOptions } from "./install.js";
