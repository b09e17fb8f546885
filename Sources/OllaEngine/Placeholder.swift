import OllaCore
