// A peer site comparable to giving's output: post pages, paginated home, tag pages, a feed.
module.exports = function (config) {
  config.addCollection("posts", (api) => api.getFilteredByGlob("posts/*.md").reverse());
  config.addCollection("tagList", (api) => {
    const tags = new Set();
    api.getAll().forEach((item) => (item.data.tags || []).forEach((t) => tags.add(t)));
    return [...tags].filter((t) => t !== "posts").sort();
  });
  return { dir: { input: ".", includes: "_includes", output: "_site" }, markdownTemplateEngine: false };
};
