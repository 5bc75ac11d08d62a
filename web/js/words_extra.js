// words_extra.js - words of the dashboard and ledger pages (zh and en),
// merged into i18n.js's tables.
export default {
  zh: {},
  en: {},
};
