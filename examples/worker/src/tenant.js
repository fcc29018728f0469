// A small tenant: four people, two groups, one product.
export const tenant = {
  revision: "example-1",
  users: [
    { id: "u-ana", name: "Ana Lima", attributes: { department: "Sales", location: "Paris" } },
    { id: "u-bo", name: "Bo Chen", attributes: { department: "Sales", location: "London" } },
    { id: "u-cy", name: "Cy Okafor", attributes: { department: "Engineering", location: "Paris" } },
    { id: "u-dee", name: "Dee Müller", orgRole: "admin", attributes: { department: "IT", location: "Berlin" } },
  ],
  groups: [
    { id: "g-sales", name: "Sales", rule: "department = Sales", products: ["p-crm"] },
    { id: "g-paris", name: { en: "Paris office", fr: "Bureau de Paris" }, rule: "location = Paris" },
  ],
  products: [{ id: "p-crm", name: "CRM" }],
};
