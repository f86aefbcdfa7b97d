// The pinned Firebase JS SDK modules, re-exported from here so the suite in tests/js resolves
// them (and the compiled client) from clients/web/node_modules: one SDK instance for all.
export * as firebaseApp from "firebase/app";
export * as firebaseAuth from "firebase/auth";
export * as firestore from "firebase/firestore";
export * as functions from "firebase/functions";
export * as rulesTesting from "@firebase/rules-unit-testing";
export * as client from "../dist/src/index.js";
