// Starts Swagger UI on the page of entrypoints/http/api_docs.py. A file, not an inline script, so that the
// page's Content-Security-Policy can allow scripts from this server only. The page names the document's URL.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // never send the document to validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
