/** Injection tokens of glance-api. */
export const IMAGE_STORES = Symbol('IMAGE_STORES');
