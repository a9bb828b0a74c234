import {utf8Text} from '../lib/input.js'

/** A request body's bytes as text: FILE_ENCODING (field body) when they are not UTF-8, never U+FFFD. */
export const requestText = (body: Buffer): string => utf8Text(body, 'The request body', 'body')
