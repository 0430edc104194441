export default class Greeting { name = 'x'; }
