module.exports = { layout: "post.njk", permalink: (data) => `/${data.page.fileSlug}/` };
