// Type-aware lint for the whole repository (STYLE.md item 12).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "proto/generated/",
      "coverage/",
      "runs/",
      ".fedtune/",
      "**/*.mjs",
      "**/*.cjs",
      "eslint.config.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Inject an Rng (STYLE.md item 6)." },
      ],
    },
  },
  {
    // The drivers (issue 10): one job per function, so a stage or a step reads on one screen.
    files: [
      "coordinator/service/**/*.ts",
      "coordinator/modes/**/*.ts",
      "client/modes/**/*.ts",
      "client/node/**/*.ts",
    ],
    rules: {
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
);
